package admin

import (
	"runtime"
	"syscall"
)

func uname() unameInfo {
	var u syscall.Utsname
	if err := syscall.Uname(&u); err != nil {
		return unameFallback()
	}
	return unameInfo{system: cstr(u.Sysname[:]), node: cstr(u.Nodename[:]), release: cstr(u.Release[:]),
		version: cstr(u.Version[:]), machine: cstr(u.Machine[:])}
}

// cstr reads a NUL-terminated utsname field (int8 or uint8 by platform).
func cstr[T int8 | uint8](b []T) string {
	out := make([]byte, 0, len(b))
	for _, c := range b {
		if c == 0 {
			break
		}
		out = append(out, byte(c))
	}
	return string(out)
}

func unameFallback() unameInfo {
	return unameInfo{system: "Linux", machine: machineOf(runtime.GOARCH)}
}
