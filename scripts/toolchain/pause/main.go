// The pod sandbox's pause program: holds the pod's namespaces and exits on SIGINT or
// SIGTERM. Built static (no libc), so the image is this one file.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	<-stop
}
