// Package blueprintsapi serves the custom actions of /managed/blueprints/
// (authentik's BlueprintInstanceViewSet): the list of available blueprint
// files and the synchronous apply of one instance. The uniform CRUD of
// instances is the generic engine's; this package adds the checks
// authentik's serializer makes on it (through instances.Manager's write
// hook). What applying means lives in internal/blueprint/instances.
package blueprintsapi
