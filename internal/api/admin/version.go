package admin

import (
	"net/http"
	"os"
	"runtime/debug"

	"github.com/akgo/akgo/internal/api"
)

// versionInfo is the Version schema. akserver never asks the internet for
// the latest release, so the latest known version is the running one.
type versionInfo struct {
	VersionCurrent string `json:"version_current"`
	VersionLatest  string `json:"version_latest"`
	// VersionLatestValid says the latest version is a real one; authentik
	// adds it after 2023.10, and it is true here because latest is current.
	VersionLatestValid bool   `json:"version_latest_valid"`
	BuildHash          string `json:"build_hash"`
	Outdated           bool   `json:"outdated"`
}

func version(s *api.Server, w http.ResponseWriter) error {
	current := s.Engine.Spec.Doc.Info.Version
	api.WriteJSON(w, http.StatusOK, versionInfo{VersionCurrent: current, VersionLatest: current, VersionLatestValid: true,
		BuildHash: buildHash(os.LookupEnv), Outdated: false})
	return nil
}

// buildHash is GIT_BUILD_HASH when set (as authentik's images do), else the
// VCS revision Go stamped into the binary, else "".
func buildHash(env func(string) (string, bool)) string {
	if v, ok := env("GIT_BUILD_HASH"); ok {
		return v
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, kv := range info.Settings {
			if kv.Key == "vcs.revision" {
				return kv.Value
			}
		}
	}
	return ""
}
