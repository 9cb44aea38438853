// Package outposts owns outpost facts shared by start-up and the API: the
// default outpost configuration authentik gives new outposts, and the
// embedded outpost that runs inside the server.
package outposts
