// CoreDNS with only the plugins the local node's Corefile uses: no forward plugin is
// compiled in, so the cluster's DNS cannot send a query outside the cluster.
package main

import (
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"

	_ "github.com/coredns/coredns/plugin/bind"
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/log"
)

// Directives run in this order, as in CoreDNS's own plugin.cfg.
func init() {
	dnsserver.Directives = []string{"bind", "health", "errors", "log", "cache", "kubernetes"}
}

func main() { coremain.Run() }
