// Command pulumi-language-nodejs is a front for the Node.js language host of
// github.com/pulumi/pulumi/sdk/v3 v3.68.0, the newest host the Go module proxy serves
// (see scripts/toolchain/README.md).
//
// That host lacks LanguageRuntime.RunPlugin, which current CLIs call to start a Node.js
// policy pack (`pulumi preview --policy-pack policy` then fails with "could not read
// plugin [...]: not supported"). The CLI runs this program as `pulumi-language-nodejs`;
// it starts the real host (host/pulumi-language-nodejs next to this binary) with the same
// arguments, answers RunPlugin itself the way the current host does, and forwards every
// other call, byte for byte, to the real host.
//
// The host also predates the way current CLIs pass Pulumi.yaml's runtime options (inside
// each request): it reads them only as flags (-typescript, -tsconfig, -nodeargs), as older
// CLIs passed them. The front reads them from the project it runs in and passes them so.
//
// The engine starts a plugin in its own process group and signals the whole group when
// it is done, so the real host, started in that group, goes with this program.
package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
)

// runPluginModule is what the current host runs a plugin with: node resolves it from the
// plugin's directory, so the pack's own @pulumi/pulumi runs it.
const runPluginModule = "@pulumi/pulumi/cmd/run-plugin"

// maxMessageSize is the engine's own limit (rpcutil's 400 MiB; gRPC's default is 4 MiB).
const maxMessageSize = 400 << 20

func main() {
	flags, err := hostFlags(".")
	if err == nil {
		err = serve(context.Background(), realHost(), append(flags, os.Args[1:]...), os.Stdout)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs (front): %v\n", err)
		os.Exit(1)
	}
}

// hostOptions are the runtime options of Pulumi.yaml that the v3.68.0 host takes as flags.
var hostOptions = []string{"typescript", "tsconfig", "nodeargs"}

// hostFlags returns the runtime options of the project that dir belongs to (its Pulumi.yaml,
// found the way the CLI finds it: in dir or above) as the host's flags, e.g.
// ["-tsconfig=tsconfig.pulumi.json"]. The engine starts the language host in the program's
// directory. No project, or no such option: no flags. A project file that does not load is
// an error that names it.
func hostFlags(dir string) ([]string, error) {
	path, err := workspace.DetectProjectPathFrom(dir)
	if errors.Is(err, workspace.ErrProjectNotFound) || (err == nil && path == "") {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	project, err := workspace.LoadProject(path)
	if err != nil {
		return nil, fmt.Errorf("reading the runtime options of %s: %w", path, err)
	}
	options := project.Runtime.Options()
	var flags []string
	for _, name := range hostOptions {
		if value, ok := options[name]; ok {
			flags = append(flags, fmt.Sprintf("-%s=%v", name, value))
		}
	}
	return flags, nil
}

// realHost is the v3.68.0 host's binary: host/pulumi-language-nodejs beside this one.
func realHost() string {
	self, err := os.Executable()
	if err != nil {
		return filepath.Join("host", "pulumi-language-nodejs")
	}
	return filepath.Join(filepath.Dir(self), "host", "pulumi-language-nodejs")
}

// serve starts the real host with args, listens on loopback, prints its own port on out
// (the plugin handshake), and serves until ctx ends or the real host exits.
func serve(ctx context.Context, hostPath string, args []string, out io.Writer) error {
	host := exec.Command(hostPath, args...)
	host.Stderr = os.Stderr
	hostOut, err := host.StdoutPipe()
	if err != nil {
		return err
	}
	if err := host.Start(); err != nil {
		return fmt.Errorf("starting the language host %s: %w", hostPath, err)
	}
	hostExited := make(chan error, 1)
	lines := bufio.NewReader(hostOut)
	port, err := lines.ReadString('\n')
	if err != nil {
		_ = host.Process.Kill()
		return fmt.Errorf("the language host %s printed no port: %w (exit: %v)", hostPath, err, host.Wait())
	}
	go func() { hostExited <- host.Wait() }()
	defer func() { _ = host.Process.Kill() }()

	conn, err := grpc.NewClient("127.0.0.1:"+strings.TrimSpace(port),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()

	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	server := grpc.NewServer(
		grpc.ForceServerCodec(codec{}),
		grpc.UnknownServiceHandler(forwardTo(conn)),
		grpc.MaxRecvMsgSize(maxMessageSize),
	)
	server.RegisterService(&runPluginService, front{})
	served := make(chan error, 1)
	go func() { served <- server.Serve(listener) }()
	defer server.Stop()

	if _, err := fmt.Fprintf(out, "%d\n", listener.Addr().(*net.TCPAddr).Port); err != nil {
		return err
	}
	// What the host prints after its port goes where the engine reads plugin output.
	go func() { _, _ = io.Copy(out, lines) }()

	select {
	case <-ctx.Done():
		return nil
	case err := <-hostExited:
		return fmt.Errorf("the language host exited: %v", err)
	case err := <-served:
		return err
	}
}

// frame is a message passed through undecoded.
type frame struct{ data []byte }

// codec passes frames through and (un)marshals the RunPlugin messages this front answers.
// Named "proto" so both ends see the content type they expect.
type codec struct{}

func (codec) Marshal(v any) ([]byte, error) {
	if f, ok := v.(*frame); ok {
		return f.data, nil
	}
	return proto.Marshal(v.(proto.Message))
}

func (codec) Unmarshal(data []byte, v any) error {
	if f, ok := v.(*frame); ok {
		// gRPC may reuse data once Unmarshal returns.
		f.data = append([]byte(nil), data...)
		return nil
	}
	return proto.Unmarshal(data, v.(proto.Message))
}

func (codec) Name() string { return "proto" }

// forwardTo relays one call of any kind (unary or streaming) to conn: metadata, messages
// both ways, headers, trailers and the final status.
func forwardTo(conn *grpc.ClientConn) grpc.StreamHandler {
	return func(_ any, in grpc.ServerStream) error {
		method, ok := grpc.MethodFromServerStream(in)
		if !ok {
			return errors.New("no method name on the stream")
		}
		ctx, cancel := context.WithCancel(in.Context())
		defer cancel()
		md, _ := metadata.FromIncomingContext(ctx)
		ctx = metadata.NewOutgoingContext(ctx, md.Copy())
		outgoing, err := conn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true, ClientStreams: true},
			method, grpc.ForceCodec(codec{}), grpc.MaxCallRecvMsgSize(maxMessageSize))
		if err != nil {
			return err
		}
		go func() {
			for {
				var f frame
				if err := in.RecvMsg(&f); err != nil {
					if err == io.EOF {
						_ = outgoing.CloseSend()
					} else {
						cancel()
					}
					return
				}
				if err := outgoing.SendMsg(&f); err != nil {
					return
				}
			}
		}()
		if header, err := outgoing.Header(); err == nil {
			if err := in.SendHeader(header); err != nil {
				return err
			}
		}
		for {
			var f frame
			err := outgoing.RecvMsg(&f)
			if err != nil {
				in.SetTrailer(outgoing.Trailer())
				if err == io.EOF {
					return nil
				}
				return err
			}
			if err := in.SendMsg(&f); err != nil {
				return err
			}
		}
	}
}

// runPluginServer is the one LanguageRuntime method this front answers itself.
type runPluginServer interface {
	RunPlugin(*pulumirpc.RunPluginRequest, pulumirpc.LanguageRuntime_RunPluginServer) error
}

// runPluginService registers RunPlugin alone: gRPC sends the service's other methods to
// the unknown-service handler, which forwards them.
var runPluginService = grpc.ServiceDesc{
	ServiceName: "pulumirpc.LanguageRuntime",
	HandlerType: (*runPluginServer)(nil),
	Streams: []grpc.StreamDesc{{
		StreamName:    "RunPlugin",
		ServerStreams: true,
		Handler: func(srv any, stream grpc.ServerStream) error {
			req := new(pulumirpc.RunPluginRequest)
			if err := stream.RecvMsg(req); err != nil {
				return err
			}
			return srv.(runPluginServer).RunPlugin(req,
				&grpc.GenericServerStream[pulumirpc.RunPluginRequest, pulumirpc.RunPluginResponse]{ServerStream: stream})
		},
	}},
	Metadata: "pulumi/language.proto",
}

type front struct{}

// RunPlugin runs `node <@pulumi/pulumi/cmd/run-plugin> <program directory> <args>` in the
// requested working directory, streaming its output back, as the current host does. The
// project's pack is plain JavaScript run by node, so no TypeScript or nodeargs options.
func (front) RunPlugin(req *pulumirpc.RunPluginRequest, server pulumirpc.LanguageRuntime_RunPluginServer) error {
	dir := req.GetInfo().GetProgramDirectory()
	if dir == "" {
		return errors.New("RunPlugin: the request names no program directory")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return err
	}
	resolve := exec.Command(node, "-e", "process.stdout.write(require.resolve(process.argv[1]))", runPluginModule)
	resolve.Dir = dir
	runPlugin, err := resolve.Output()
	if err != nil {
		return fmt.Errorf("RunPlugin: cannot resolve %s from %s (is @pulumi/pulumi installed there?): %w",
			runPluginModule, dir, err)
	}

	closer, stdout, stderr, err := rpcutil.MakeRunPluginStreams(server, false)
	if err != nil {
		return err
	}
	defer closer.Close()
	cmd := exec.Command(node, append([]string{string(runPlugin), dir}, req.GetArgs()...)...)
	cmd.Dir = req.GetPwd()
	cmd.Env = req.GetEnv()
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return fmt.Errorf("Program exited with non-zero exit code: %d", exit.ExitCode())
		}
		return fmt.Errorf("could not run %s: %w", node, err)
	}
	return closer.Close()
}
