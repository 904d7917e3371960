// SPDX-License-Identifier: Apache-2.0
// cri-client is a minimal CRI v1 client: it asks a container runtime (containerd's CRI
// plugin) for pod sandboxes the way the kubelet does, so that the runtime, not we, makes
// the CNI calls. Built against k8s.io/cri-api as vendored in Debian's containerd source.
//
//	cri-client -addr SOCK version
//	cri-client -addr SOCK run [pod flags]             prints "ID <sandbox id>"
//	cri-client -addr SOCK status -id ID               prints one JSON object
//	cri-client -addr SOCK stop|remove -id ID
//	cri-client -addr SOCK list                        prints one sandbox id per line
//	cri-client -addr SOCK run-many -n N [pod flags]   N sandboxes at once; "ID <id> <ip>..." lines
//	cri-client -addr SOCK cycle [pod flags]           run, stop, remove one sandbox and print
//	                                                  "MS <run> <stop> <remove>" in milliseconds
//
// Pod flags: -name -namespace -uid -attempt -hostname -hostport -hostnet -cgroup-parent
// -log-dir. Every sandbox gets the labels, annotations, DNS config and security context a
// kubelet sends for a plain pod (see podConfig).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	runtime "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "cri-client: "+format+"\n", args...)
	os.Exit(1)
}

type podFlags struct {
	name, namespace, uid, hostname, cgroupParent, logDir string
	attempt                                              uint
	hostPort                                             int
	hostNet                                              bool
}

func (p *podFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&p.name, "name", "cnb-pod", "pod name (metadata.name)")
	fs.StringVar(&p.namespace, "namespace", "default", "pod namespace")
	fs.StringVar(&p.uid, "uid", "", "pod UID (default: derived from name)")
	fs.UintVar(&p.attempt, "attempt", 0, "sandbox attempt number")
	fs.StringVar(&p.hostname, "hostname", "", "pod hostname (default: the name)")
	fs.IntVar(&p.hostPort, "hostport", 0, "hostPort mapped to containerPort 80/TCP (0: none)")
	fs.BoolVar(&p.hostNet, "hostnet", false, "hostNetwork pod: network namespace NODE, no CNI")
	fs.StringVar(&p.cgroupParent, "cgroup-parent", "", "linux.cgroup_parent (cgroupfs syntax)")
	fs.StringVar(&p.logDir, "log-dir", "", "log_directory")
}

// podConfig builds the PodSandboxConfig of a plain pod as the kubelet does
// (pkg/kubelet/kuberuntime/kuberuntime_sandbox.go generatePodSandboxConfig).
func podConfig(p podFlags) *runtime.PodSandboxConfig {
	uid := p.uid
	if uid == "" {
		uid = "uid-" + p.name
	}
	hostname := p.hostname
	if hostname == "" {
		hostname = p.name
	}
	netMode := runtime.NamespaceMode_POD
	if p.hostNet {
		// The kubelet leaves the hostname out for hostNetwork pods: they share the node's
		// UTS namespace (runc refuses a hostname without a private one).
		netMode = runtime.NamespaceMode_NODE
		hostname = ""
	}
	cfg := &runtime.PodSandboxConfig{
		Metadata: &runtime.PodSandboxMetadata{
			Name: p.name, Namespace: p.namespace, Uid: uid, Attempt: uint32(p.attempt),
		},
		Hostname:     hostname,
		LogDirectory: p.logDir,
		DnsConfig: &runtime.DNSConfig{
			Servers:  []string{"10.96.0.10"},
			Searches: []string{p.namespace + ".svc.cluster.local", "svc.cluster.local", "cluster.local"},
			Options:  []string{"ndots:5"},
		},
		Labels: map[string]string{
			"io.kubernetes.pod.name":      p.name,
			"io.kubernetes.pod.namespace": p.namespace,
			"io.kubernetes.pod.uid":       uid,
			"app":                         "cnb-check",
		},
		Annotations: map[string]string{
			"kubernetes.io/config.source": "api",
			"cnb.example/check":           "cri",
		},
		Linux: &runtime.LinuxPodSandboxConfig{
			CgroupParent: p.cgroupParent,
			SecurityContext: &runtime.LinuxSandboxSecurityContext{
				NamespaceOptions: &runtime.NamespaceOption{
					Network: netMode,
					Pid:     runtime.NamespaceMode_CONTAINER,
					Ipc:     runtime.NamespaceMode_POD,
				},
				RunAsUser:          &runtime.Int64Value{Value: 65535},
				RunAsGroup:         &runtime.Int64Value{Value: 65535},
				SupplementalGroups: []int64{65535},
				ReadonlyRootfs:     true,
				Seccomp:            &runtime.SecurityProfile{ProfileType: runtime.SecurityProfile_RuntimeDefault},
			},
		},
	}
	if p.hostPort != 0 {
		cfg.PortMappings = []*runtime.PortMapping{{
			Protocol: runtime.Protocol_TCP, ContainerPort: 80, HostPort: int32(p.hostPort),
		}}
	}
	return cfg
}

func dial(addr string) runtime.RuntimeServiceClient {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := grpc.DialContext(ctx, "passthrough:///"+addr,
		grpc.WithInsecure(), grpc.WithBlock(),
		grpc.WithContextDialer(func(ctx context.Context, a string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", a)
		}))
	if err != nil {
		fail("connect %s: %v", addr, err)
	}
	return runtime.NewRuntimeServiceClient(conn)
}

func callCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 2*time.Minute)
}

func runSandbox(c runtime.RuntimeServiceClient, p podFlags) (string, error) {
	ctx, cancel := callCtx()
	defer cancel()
	r, err := c.RunPodSandbox(ctx, &runtime.RunPodSandboxRequest{Config: podConfig(p)})
	if err != nil {
		return "", err
	}
	return r.PodSandboxId, nil
}

func stopSandbox(c runtime.RuntimeServiceClient, id string) error {
	ctx, cancel := callCtx()
	defer cancel()
	_, err := c.StopPodSandbox(ctx, &runtime.StopPodSandboxRequest{PodSandboxId: id})
	return err
}

func removeSandbox(c runtime.RuntimeServiceClient, id string) error {
	ctx, cancel := callCtx()
	defer cancel()
	_, err := c.RemovePodSandbox(ctx, &runtime.RemovePodSandboxRequest{PodSandboxId: id})
	return err
}

// sandboxIPs returns the pod IPs the runtime reports, primary first.
func sandboxIPs(st *runtime.PodSandboxStatus) []string {
	var ips []string
	if st.Network != nil {
		if st.Network.Ip != "" {
			ips = append(ips, st.Network.Ip)
		}
		for _, a := range st.Network.AdditionalIps {
			ips = append(ips, a.Ip)
		}
	}
	return ips
}

func status(c runtime.RuntimeServiceClient, id string) map[string]interface{} {
	ctx, cancel := callCtx()
	defer cancel()
	r, err := c.PodSandboxStatus(ctx, &runtime.PodSandboxStatusRequest{PodSandboxId: id, Verbose: true})
	if err != nil {
		fail("PodSandboxStatus %s: %v", id, err)
	}
	st := r.Status
	out := map[string]interface{}{
		"id":          st.Id,
		"state":       st.State.String(),
		"ips":         sandboxIPs(st),
		"labels":      st.Labels,
		"annotations": st.Annotations,
	}
	if st.Metadata != nil {
		out["name"] = st.Metadata.Name
		out["namespace"] = st.Metadata.Namespace
		out["uid"] = st.Metadata.Uid
		out["attempt"] = st.Metadata.Attempt
	}
	if st.Linux != nil && st.Linux.Namespaces != nil && st.Linux.Namespaces.Options != nil {
		out["network_mode"] = st.Linux.Namespaces.Options.Network.String()
	}
	// containerd's verbose info: {"pid": N, "runtimeSpec": {...linux.namespaces...}, ...}
	if raw, ok := r.Info["info"]; ok {
		var info struct {
			Pid         int `json:"pid"`
			RuntimeSpec struct {
				Hostname string `json:"hostname"`
				Linux    struct {
					Namespaces []struct {
						Type string `json:"type"`
						Path string `json:"path"`
					} `json:"namespaces"`
				} `json:"linux"`
			} `json:"runtimeSpec"`
		}
		if err := json.Unmarshal([]byte(raw), &info); err == nil {
			out["pid"] = info.Pid
			out["spec_hostname"] = info.RuntimeSpec.Hostname
			for _, ns := range info.RuntimeSpec.Linux.Namespaces {
				if ns.Type == "network" {
					out["netns"] = ns.Path
				}
			}
		}
	}
	return out
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d.Microseconds())/1000) }

func main() {
	global := flag.NewFlagSet("cri-client", flag.ExitOnError)
	addr := global.String("addr", "/run/containerd/containerd.sock", "CRI socket")
	_ = global.Parse(os.Args[1:])
	args := global.Args()
	if len(args) < 1 {
		fail("usage: cri-client -addr SOCK version|run|status|stop|remove|list|run-many|cycle [flags]")
	}
	action := args[0]
	fs := flag.NewFlagSet(action, flag.ExitOnError)
	var p podFlags
	p.register(fs)
	id := fs.String("id", "", "sandbox id (status, stop, remove)")
	n := fs.Int("n", 8, "number of sandboxes (run-many)")
	_ = fs.Parse(args[1:])
	c := dial(*addr)

	switch action {
	case "version":
		ctx, cancel := callCtx()
		defer cancel()
		v, err := c.Version(ctx, &runtime.VersionRequest{})
		if err != nil {
			fail("Version: %v", err)
		}
		fmt.Printf("%s %s (CRI %s)\n", v.RuntimeName, v.RuntimeVersion, v.RuntimeApiVersion)
	case "run":
		sid, err := runSandbox(c, p)
		if err != nil {
			fail("RunPodSandbox %s: %v", p.name, err)
		}
		fmt.Printf("ID %s\n", sid)
	case "status":
		b, _ := json.Marshal(status(c, *id))
		fmt.Println(string(b))
	case "stop":
		if err := stopSandbox(c, *id); err != nil {
			fail("StopPodSandbox %s: %v", *id, err)
		}
	case "remove":
		if err := removeSandbox(c, *id); err != nil {
			fail("RemovePodSandbox %s: %v", *id, err)
		}
	case "list":
		ctx, cancel := callCtx()
		defer cancel()
		r, err := c.ListPodSandbox(ctx, &runtime.ListPodSandboxRequest{})
		if err != nil {
			fail("ListPodSandbox: %v", err)
		}
		for _, s := range r.Items {
			fmt.Printf("%s %s %s\n", s.Id, s.State, s.Metadata.GetName())
		}
	case "run-many":
		// All RunPodSandbox calls in flight at once, as a kubelet starting a node's pods.
		type res struct {
			name, id string
			ips      []string
			err      error
		}
		results := make([]res, *n)
		var wg sync.WaitGroup
		for i := 0; i < *n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				q := p
				q.name = fmt.Sprintf("%s-%d", p.name, i)
				q.uid, q.hostname = "", ""
				q.hostPort = 0
				sid, err := runSandbox(c, q)
				results[i] = res{name: q.name, id: sid, err: err}
			}(i)
		}
		wg.Wait()
		failed := false
		for _, r := range results {
			if r.err != nil {
				fmt.Fprintf(os.Stderr, "cri-client: RunPodSandbox %s: %v\n", r.name, r.err)
				failed = true
				continue
			}
			ips, _ := status(c, r.id)["ips"].([]string)
			fmt.Printf("ID %s %s\n", r.id, strings.Join(ips, " "))
		}
		if failed {
			os.Exit(1)
		}
	case "cycle":
		t0 := time.Now()
		sid, err := runSandbox(c, p)
		if err != nil {
			fail("RunPodSandbox %s: %v", p.name, err)
		}
		t1 := time.Now()
		if err := stopSandbox(c, sid); err != nil {
			fail("StopPodSandbox %s: %v", sid, err)
		}
		t2 := time.Now()
		if err := removeSandbox(c, sid); err != nil {
			fail("RemovePodSandbox %s: %v", sid, err)
		}
		t3 := time.Now()
		fmt.Printf("MS %s %s %s\n", ms(t1.Sub(t0)), ms(t2.Sub(t1)), ms(t3.Sub(t2)))
	default:
		fail("unknown action %q", action)
	}
}
