package providers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// PlexBaseURL is the Plex API the Plex source talks to (plex.tv); tests
// point it at a local fake.
var PlexBaseURL = "https://plex.tv"

// PlexTimeout bounds each Plex API call.
var PlexTimeout = 10 * time.Second

// plexVersion is what authentik reports as X-Plex-Version.
const plexVersion = "2023.10.4"

// plexError is a failed Plex API call: Status is Plex's HTTP status, 0
// when Plex could not be reached or answered garbage.
type plexError struct {
	Status int
	Err    error
}

func (e *plexError) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("Plex answered %d", e.Status)
	}
	return "Plex could not be reached: " + e.Err.Error()
}

func (e *plexError) Unwrap() error { return e.Err }

// plexAPI calls the Plex API with one token on behalf of a source (its
// client_id identifies the source to Plex).
type plexAPI struct {
	clientID, token string
}

var plexHTTP = &http.Client{}

func (p plexAPI) get(ctx context.Context, path string, out any) error {
	ctx, cancel := context.WithTimeout(ctx, PlexTimeout)
	defer cancel()
	qs := url.Values{"X-Plex-Token": {p.token}, "X-Plex-Client-Identifier": {p.clientID}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(PlexBaseURL, "/")+path+"?"+qs.Encode(), nil)
	if err != nil {
		return &plexError{Err: err}
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Plex-Product", "authentik")
	req.Header.Set("X-Plex-Version", plexVersion)
	req.Header.Set("X-Plex-Device-Vendor", "BeryJu.org")
	resp, err := plexHTTP.Do(req)
	if err != nil {
		return &plexError{Err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		return &plexError{Status: resp.StatusCode, Err: errors.New(resp.Status)}
	}
	dec := json.NewDecoder(io.LimitReader(resp.Body, 16<<20))
	dec.UseNumber()
	if err := dec.Decode(out); err != nil {
		return &plexError{Err: fmt.Errorf("decode %s: %w", path, err)}
	}
	return nil
}

// plexUser is the token owner's account as authentik keeps it.
type plexUser struct {
	ID                    int64
	Username, Email, Name string
}

func (p plexAPI) user(ctx context.Context) (plexUser, error) {
	var raw struct {
		ID       json.Number `json:"id"`
		Username string      `json:"username"`
		Email    string      `json:"email"`
		Title    string      `json:"title"`
	}
	if err := p.get(ctx, "/api/v2/user", &raw); err != nil {
		return plexUser{}, err
	}
	id, err := raw.ID.Int64()
	if err != nil {
		return plexUser{}, &plexError{Err: fmt.Errorf("user has no numeric id: %q", raw.ID)}
	}
	return plexUser{ID: id, Username: raw.Username, Email: raw.Email, Name: raw.Title}, nil
}

// hasServer reports whether the token can access one of the allowed
// servers.
func (p plexAPI) hasServer(ctx context.Context, allowed []string) (bool, error) {
	var resources []struct {
		Name             string `json:"name"`
		Provides         string `json:"provides"`
		ClientIdentifier string `json:"clientIdentifier"`
	}
	if err := p.get(ctx, "/api/v2/resources", &resources); err != nil {
		return false, err
	}
	for _, res := range resources {
		if res.Provides != "server" {
			continue
		}
		for _, a := range allowed {
			if res.ClientIdentifier == a {
				return true, nil
			}
		}
	}
	return false, nil
}

// isOwnerOrFriend reports whether user is the token's owner or one of the
// owner's friends.
func (p plexAPI) isOwnerOrFriend(ctx context.Context, user int64) (bool, error) {
	owner, err := p.user(ctx)
	if err != nil {
		return false, err
	}
	if owner.ID == user {
		return true, nil
	}
	var friends []struct {
		ID json.Number `json:"id"`
	}
	if err := p.get(ctx, "/api/v2/friends", &friends); err != nil {
		return false, err
	}
	for _, f := range friends {
		if id, err := f.ID.Int64(); err == nil && id == user {
			return true, nil
		}
	}
	return false, nil
}
