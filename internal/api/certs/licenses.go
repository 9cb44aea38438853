package certs

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/akgo/akgo/internal/api"
	"github.com/akgo/akgo/internal/licensing"
	"github.com/akgo/akgo/internal/store"
)

const (
	// usageInterval is how often authentik records licence usage (its
	// calculate_license task). Until akserver runs that task, the summary
	// records the last-valid moment when it sees the licences cover the
	// users, at most this often.
	usageInterval = 2 * time.Hour
	// usageRetention is how long authentik keeps a usage record; an older
	// last-valid moment is forgotten as the expired record would be.
	usageRetention = 90 * 24 * time.Hour
)

// licenses serves the licence actions; the rules (what a key must be, who
// counts, how licences add up) are internal/licensing's.
type licenses struct{ s *api.Server }

// summarize computes the licence summary at now.
func (l *licenses) summarize(ctx context.Context, now time.Time) (licensing.Summary, error) {
	reg := l.s.Engine.Registry
	var stored []licensing.Licence
	var usage licensing.Usage
	var lastValid time.Time
	var recorded bool
	err := l.s.Engine.Store.View(ctx, func(tx store.Tx) error {
		var err error
		if stored, err = licensing.StoredLicences(ctx, tx, reg); err != nil {
			return err
		}
		if usage, err = licensing.CountUsage(ctx, tx, reg); err != nil {
			return err
		}
		lastValid, recorded, err = readLastValid(ctx, tx)
		return err
	})
	if err != nil {
		return licensing.Summary{}, fmt.Errorf("licence summary: %w", err)
	}
	total := licensing.Sum(stored, now)
	if total.Covers(usage) && (!recorded || now.Sub(lastValid) >= usageInterval) {
		if err := l.s.Engine.Store.Update(ctx, func(tx store.Tx) error { return recordLastValid(ctx, tx, now) }); err != nil {
			return licensing.Summary{}, fmt.Errorf("record licence usage: %w", err)
		}
		lastValid, recorded = now, true
	}
	// authentik falls back to "now" when there is no unexpired
	// within-limits usage record, so nothing warns before the licences
	// ever covered the users.
	if !recorded || now.Sub(lastValid) > usageRetention {
		lastValid = now
	}
	return licensing.Summarize(total, usage, len(stored) > 0, lastValid, now), nil
}

// summary serves GET /enterprise/license/summary/.
func (l *licenses) summary(w http.ResponseWriter, r *http.Request) error {
	s, err := l.summarize(r.Context(), l.s.Engine.Now())
	if err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, s)
	return nil
}

// forecast serves GET /enterprise/license/forecast/: today's counts and
// authentik's one-year projection of them.
func (l *licenses) forecast(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	reg := l.s.Engine.Registry
	now := l.s.Engine.Now()
	var usage licensing.Usage
	var joined int64
	err := l.s.Engine.Store.View(ctx, func(tx store.Tx) error {
		var err error
		if usage, err = licensing.CountUsage(ctx, tx, reg); err != nil {
			return err
		}
		joined, err = licensing.InternalJoinedSince(ctx, tx, reg, now.Add(-licensing.ForecastWindow))
		return err
	})
	if err != nil {
		return fmt.Errorf("licence forecast: %w", err)
	}
	api.WriteJSON(w, http.StatusOK, licensing.Project(usage, joined))
	return nil
}

// installID serves GET /enterprise/license/get_install_id/, which
// authentik limits to superusers (IsAdminUser).
func (l *licenses) installID(w http.ResponseWriter, r *http.Request) error {
	if p, ok := api.PrincipalFrom(r.Context()); !ok || !p.Superuser {
		return api.Errorf(http.StatusForbidden, api.DetailNoPermission)
	}
	id, err := licensing.EnsureInstallID(r.Context(), l.s.Engine.Store, l.s.Engine.NewUUID)
	if err != nil {
		return fmt.Errorf("install id: %w", err)
	}
	api.WriteJSON(w, http.StatusOK, map[string]string{"install_id": id})
	return nil
}
