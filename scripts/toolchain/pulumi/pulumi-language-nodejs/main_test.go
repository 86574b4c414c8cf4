package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
)

// fakeHostEnv makes the test binary act as the old language host the front starts.
const fakeHostEnv = "FRONT_TEST_FAKE_HOST"

func TestMain(m *testing.M) {
	if os.Getenv(fakeHostEnv) == "1" {
		listener, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			panic(err)
		}
		server := grpc.NewServer()
		pulumirpc.RegisterLanguageRuntimeServer(server, fakeHost{})
		os.Stdout.WriteString(strings.TrimPrefix(listener.Addr().String(), "127.0.0.1:") + "\n")
		panic(server.Serve(listener))
	}
	os.Exit(m.Run())
}

// fakeHost answers like a host without RunPlugin: GetPluginInfo and a streaming call.
type fakeHost struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
}

func (fakeHost) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: "3.68.0-fake"}, nil
}

func (fakeHost) InstallDependencies(req *pulumirpc.InstallDependenciesRequest,
	stream grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse],
) error {
	for _, line := range []string{"first " + req.GetDirectory(), "second"} {
		if err := stream.Send(&pulumirpc.InstallDependenciesResponse{Stdout: []byte(line)}); err != nil {
			return err
		}
	}
	return nil
}

// startFront serves the front in-process over the fake host and returns a client of it.
func startFront(t *testing.T) pulumirpc.LanguageRuntimeClient {
	t.Helper()
	t.Setenv(fakeHostEnv, "1")
	ctx, cancel := context.WithCancel(context.Background())
	portOut, portIn := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- serve(ctx, os.Args[0], nil, portIn) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	port, err := bufio.NewReader(portOut).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the front's port: %v", err)
	}
	conn, err := grpc.NewClient("127.0.0.1:"+strings.TrimSpace(port),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return pulumirpc.NewLanguageRuntimeClient(conn)
}

func TestForwardsCallsToTheHost(t *testing.T) {
	client := startFront(t)
	ctx := context.Background()

	info, err := client.GetPluginInfo(ctx, &emptypb.Empty{})
	if err != nil || info.GetVersion() != "3.68.0-fake" {
		t.Fatalf("GetPluginInfo through the front: %v, %v; want the host's 3.68.0-fake", info, err)
	}

	_, err = client.GetRequiredPackages(ctx, &pulumirpc.GetRequiredPackagesRequest{})
	if status.Code(err) != codes.Unimplemented || !strings.Contains(err.Error(), "GetRequiredPackages") {
		t.Fatalf("a call the host lacks: got %v; want the host's Unimplemented status", err)
	}

	stream, err := client.InstallDependencies(ctx, &pulumirpc.InstallDependenciesRequest{Directory: "/project"})
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for {
		resp, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("InstallDependencies stream: %v", err)
		}
		lines = append(lines, string(resp.GetStdout()))
	}
	if strings.Join(lines, "|") != "first /project|second" {
		t.Fatalf("streamed lines through the front: %q", lines)
	}
}

// writePack makes a directory whose @pulumi/pulumi/cmd/run-plugin reports how it was run
// and exits with the code given as its last argument.
func writePack(t *testing.T) string {
	t.Helper()
	pack := t.TempDir()
	runPlugin := filepath.Join(pack, "node_modules", "@pulumi", "pulumi", "cmd", "run-plugin")
	if err := os.MkdirAll(runPlugin, 0o755); err != nil {
		t.Fatal(err)
	}
	script := `const args = process.argv.slice(2);
console.log(JSON.stringify({ cwd: process.cwd(), args, env: process.env.FRONT_TEST_VALUE ?? null }));
process.exit(Number(args[args.length - 1]));
`
	if err := os.WriteFile(filepath.Join(runPlugin, "index.js"), []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	return pack
}

func runPlugin(t *testing.T, client pulumirpc.LanguageRuntimeClient, req *pulumirpc.RunPluginRequest) (string, error) {
	t.Helper()
	stream, err := client.RunPlugin(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	var stdout strings.Builder
	for {
		resp, err := stream.Recv()
		if err == io.EOF {
			return stdout.String(), nil
		}
		if err != nil {
			return stdout.String(), err
		}
		stdout.Write(resp.GetStdout())
	}
}

func TestRunPluginRunsThePackWithNode(t *testing.T) {
	client := startFront(t)
	pack := writePack(t)
	pwd := t.TempDir()

	out, err := runPlugin(t, client, &pulumirpc.RunPluginRequest{
		Pwd:  pwd,
		Args: []string{"127.0.0.1:1234", "0"},
		Env:  append(os.Environ(), "FRONT_TEST_VALUE=from-request"),
		Info: &pulumirpc.ProgramInfo{ProgramDirectory: pack},
		Kind: "analyzer",
	})
	if err != nil {
		t.Fatalf("RunPlugin: %v (output %q)", err, out)
	}
	var ran struct {
		Cwd  string
		Args []string
		Env  *string
	}
	if err := json.Unmarshal([]byte(out), &ran); err != nil {
		t.Fatalf("run-plugin output %q: %v", out, err)
	}
	want := []string{pack, "127.0.0.1:1234", "0"}
	if ran.Cwd != pwd || strings.Join(ran.Args, " ") != strings.Join(want, " ") ||
		ran.Env == nil || *ran.Env != "from-request" {
		t.Fatalf("run-plugin ran as %+v; want cwd %s, args %q, FRONT_TEST_VALUE=from-request", ran, pwd, want)
	}

	_, err = runPlugin(t, client, &pulumirpc.RunPluginRequest{
		Pwd:  pack,
		Args: []string{"3"},
		Info: &pulumirpc.ProgramInfo{ProgramDirectory: pack},
	})
	if err == nil || !strings.Contains(err.Error(), "non-zero exit code: 3") {
		t.Fatalf("a plugin exiting 3: got %v; want its exit code reported", err)
	}
}

func TestRunPluginWithoutThePulumiPackage(t *testing.T) {
	client := startFront(t)
	empty := t.TempDir()
	_, err := runPlugin(t, client, &pulumirpc.RunPluginRequest{
		Pwd:  empty,
		Info: &pulumirpc.ProgramInfo{ProgramDirectory: empty},
	})
	if err == nil || !strings.Contains(err.Error(), "is @pulumi/pulumi installed there?") {
		t.Fatalf("a directory without @pulumi/pulumi: got %v; want a clear error", err)
	}
}

func TestHostFlagsFromTheProjectsRuntimeOptions(t *testing.T) {
	root := t.TempDir()
	project := "name: p\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n    tsconfig: tsconfig.pulumi.json\n    packagemanager: npm\n"
	if err := os.WriteFile(filepath.Join(root, "Pulumi.yaml"), []byte(project), 0o644); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(root, "src")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	// From the project's directory and from below it (a program in a subdirectory).
	for _, dir := range []string{root, sub} {
		flags, err := hostFlags(dir)
		want := []string{"-typescript=true", "-tsconfig=tsconfig.pulumi.json"}
		if err != nil || strings.Join(flags, " ") != strings.Join(want, " ") {
			t.Fatalf("hostFlags(%s) = %q, %v; want %q (options the old host has no flag for are left out)", dir, flags, err, want)
		}
	}
}

func TestHostFlagsWithoutOptionsOrProject(t *testing.T) {
	plain := t.TempDir()
	if err := os.WriteFile(filepath.Join(plain, "Pulumi.yaml"), []byte("name: p\nruntime: nodejs\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if flags, err := hostFlags(plain); err != nil || len(flags) != 0 {
		t.Fatalf("runtime without options: hostFlags = %q, %v; want none", flags, err)
	}
	broken := t.TempDir()
	if err := os.WriteFile(filepath.Join(broken, "Pulumi.yaml"), []byte("name: [\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := hostFlags(broken); err == nil || !strings.Contains(err.Error(), filepath.Join(broken, "Pulumi.yaml")) {
		t.Fatalf("a project file that does not load: err = %v; want one naming it", err)
	}
}
