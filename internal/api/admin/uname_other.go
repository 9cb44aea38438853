//go:build !linux

package admin

import (
	"os"
	"runtime"
	"strings"
)

// uname approximates uname(2) where Go's syscall package lacks it: the OS
// name, host name and machine are known, the kernel release is not.
func uname() unameInfo {
	node, _ := os.Hostname()
	system := runtime.GOOS
	if system != "" {
		system = strings.ToUpper(system[:1]) + system[1:]
	}
	return unameInfo{system: system, node: node, machine: machineOf(runtime.GOARCH)}
}
