package admin

import (
	"fmt"
	"net/http"
	"time"

	"github.com/akgo/akgo/internal/api"
	"github.com/akgo/akgo/internal/store"
)

// Event actions the login metrics count.
const (
	actionLogin       = "login"
	actionLoginFailed = "login_failed"
	actionAuthorize   = "authorize_application"
)

// hours is how many one-hour buckets the metrics cover (the last day).
const hours = 24

// coordinate is one point of a metrics series: x is the bucket's end as
// milliseconds since the epoch, y the number of events in the hour before.
type coordinate struct {
	X int64 `json:"x_cord"`
	Y int64 `json:"y_cord"`
}

type loginMetrics struct {
	Logins         []coordinate `json:"logins"`
	LoginsFailed   []coordinate `json:"logins_failed"`
	Authorizations []coordinate `json:"authorizations"`
}

// metrics counts logins, failed logins and application authorizations per
// hour over the last 24 hours, newest hour first, zeros included, as
// authentik's get_events_per_hour does: bucket h holds the events that are
// h to h+1 hours old.
func metrics(s *api.Server, w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	m, ok := s.Engine.Registry.Model("authentik_events.event")
	if !ok {
		return fmt.Errorf("registry has no event model")
	}
	actionCol, createdCol := column(m, "action"), column(m, "created")
	now := s.Engine.Now().UTC()
	var rows []store.Row
	err := s.Engine.Store.View(ctx, func(tx store.Tx) error {
		var err error
		rows, err = tx.Select(ctx, store.Query{Table: m.Table, Columns: []string{actionCol, createdCol}, Where: store.And(
			store.InCond{Column: actionCol, Values: []any{actionLogin, actionLoginFailed, actionAuthorize}},
			store.CmpCond{Column: createdCol, Op: ">", Value: now.Add(-hours * time.Hour)},
			store.CmpCond{Column: createdCol, Op: "<=", Value: now},
		)})
		return err
	})
	if err != nil {
		return fmt.Errorf("count login events: %w", err)
	}
	counts := map[string]*[hours]int64{actionLogin: {}, actionLoginFailed: {}, actionAuthorize: {}}
	for _, row := range rows {
		action, _ := row[actionCol].(string)
		created, ok := row[createdCol].(time.Time)
		bucket := int(now.Sub(created) / time.Hour)
		if c := counts[action]; ok && c != nil && bucket >= 0 && bucket < hours {
			c[bucket]++
		}
	}
	series := func(action string) []coordinate {
		out := make([]coordinate, hours)
		for h := range out {
			out[h] = coordinate{X: now.Add(-time.Duration(h) * time.Hour).UnixMilli(), Y: counts[action][h]}
		}
		return out
	}
	api.WriteJSON(w, http.StatusOK, loginMetrics{
		Logins: series(actionLogin), LoginsFailed: series(actionLoginFailed), Authorizations: series(actionAuthorize),
	})
	return nil
}
