package blueprint

import "github.com/akgo/akgo/internal/slug"

// Names the server gives a BlueprintInstance's applies and validation
// errors. They live here rather than in package instances because akctl
// reads them back (it retrieves an instance's apply task, and strips the
// prefix from a refused apply) and must not link the server to do so.
const (
	// InstanceTaskPrefix starts the system task name of an instance's
	// applies.
	InstanceTaskPrefix = "apply_blueprint:"
	// InstanceInvalidPrefix starts the content error of an instance whose
	// blueprint does not apply (authentik's serializer message).
	InstanceInvalidPrefix = "Failed to validate blueprint: "
)

// InstanceTaskName is the system task an instance's applies are recorded
// under: apply_blueprint:<slugified name>, as authentik's task uid.
func InstanceTaskName(instanceName string) string {
	return InstanceTaskPrefix + slug.Make(instanceName)
}
