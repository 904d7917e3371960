// SPDX-License-Identifier: Apache-2.0
// gocni-driver calls CNI plugins the way containerd's CRI plugin does for a pod
// sandbox: through containerd's go-cni library, with the loopback network plus the
// first conflist of a config dir, the K8S_POD_* labels and IgnoreUnknown=1.
//
//	gocni-driver setup|check|remove -plugin-dirs A:B -conf-dir DIR -netns PATH -id ID
//	             [-pod-name N -pod-namespace NS -pod-uid U] [-hostport H -containerport C]
//
// setup prints one "IP <addr> GW <gateway>" line per address of eth0, then the raw
// results as JSON. Each action is a separate process, as containerd's calls are
// separated in time; the CNI result cache under /var/lib/cni links them.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	gocni "github.com/containerd/go-cni"
)

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "gocni-driver: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	if len(os.Args) < 2 {
		fail("usage: gocni-driver setup|check|remove [flags]")
	}
	action := os.Args[1]
	fs := flag.NewFlagSet(action, flag.ExitOnError)
	pluginDirs := fs.String("plugin-dirs", "", "colon-separated plugin dirs, searched in order")
	confDir := fs.String("conf-dir", "", "CNI config dir (containerd's conf_dir)")
	netns := fs.String("netns", "", "pod network namespace path")
	id := fs.String("id", "", "sandbox (infra container) id")
	podName := fs.String("pod-name", "busybox", "K8S_POD_NAME")
	podNamespace := fs.String("pod-namespace", "default", "K8S_POD_NAMESPACE")
	podUID := fs.String("pod-uid", "6e3b1b4c-0000-4000-8000-000000000001", "K8S_POD_UID")
	hostPort := fs.Int("hostport", 0, "host port of one portmap mapping (0: none)")
	containerPort := fs.Int("containerport", 80, "container port of the mapping")
	_ = fs.Parse(os.Args[2:])
	if *pluginDirs == "" || *confDir == "" || *netns == "" || *id == "" {
		fail("-plugin-dirs, -conf-dir, -netns and -id are required")
	}

	// The options containerd's CRI plugin passes (pkg/cri/server/service_linux.go):
	// loopback + one network, interfaces named eth<N>. For check the loopback network is
	// left out: go-cni's built-in loopback conflist is cniVersion 0.3.1, which libcni
	// refuses to CHECK, so go-cni's Check would fail before it reached the bridge.
	withLo := action != "check"
	minNetworks := 1
	loadOpts := []gocni.Opt{gocni.WithDefaultConf}
	if withLo {
		minNetworks = 2
		loadOpts = []gocni.Opt{gocni.WithLoNetwork, gocni.WithDefaultConf}
	}
	lib, err := gocni.New(
		gocni.WithMinNetworkCount(minNetworks),
		gocni.WithPluginConfDir(*confDir),
		gocni.WithPluginDir(filepath.SplitList(*pluginDirs)),
		gocni.WithInterfacePrefix("eth"),
	)
	if err != nil {
		fail("new: %v", err)
	}
	if err := lib.Load(loadOpts...); err != nil {
		fail("load: %v", err)
	}
	if err := lib.Status(); err != nil {
		fail("status: %v", err)
	}

	// containerd's toCNILabels, and the per-pod capabilities it always passes.
	opts := []gocni.NamespaceOpts{
		gocni.WithLabels(map[string]string{
			"K8S_POD_NAMESPACE":          *podNamespace,
			"K8S_POD_NAME":               *podName,
			"K8S_POD_INFRA_CONTAINER_ID": *id,
			"K8S_POD_UID":                *podUID,
			"IgnoreUnknown":              "1",
		}),
		gocni.WithCapability("io.kubernetes.cri.pod-annotations", map[string]string{}),
	}
	if *hostPort != 0 {
		opts = append(opts, gocni.WithCapabilityPortMap([]gocni.PortMapping{{
			HostPort: int32(*hostPort), ContainerPort: int32(*containerPort), Protocol: "tcp",
		}}))
	}

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	switch action {
	case "setup":
		result, err := lib.Setup(ctx, *id, *netns, opts...)
		if err != nil {
			fail("setup: %v", err)
		}
		eth0, ok := result.Interfaces["eth0"]
		if !ok || len(eth0.IPConfigs) == 0 {
			fail("setup: no IP on eth0 in the result")
		}
		for _, ipc := range eth0.IPConfigs {
			fmt.Printf("IP %s GW %s\n", ipc.IP, ipc.Gateway)
		}
		raw, _ := json.Marshal(result.Raw())
		fmt.Printf("RAW %s\n", raw)
	case "check":
		if err := lib.Check(ctx, *id, *netns, opts...); err != nil {
			fail("check: %v", err)
		}
		fmt.Println("CHECK ok")
	case "remove":
		if err := lib.Remove(ctx, *id, *netns, opts...); err != nil {
			fail("remove: %v", err)
		}
		fmt.Println("REMOVE ok")
	default:
		fail("unknown action %q", action)
	}
}
