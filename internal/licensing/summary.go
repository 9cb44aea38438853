package licensing

import (
	"context"
	"fmt"
	"time"

	"github.com/akgo/akgo/internal/registry"
	"github.com/akgo/akgo/internal/store"
)

// Licence is a stored licence as the totals need it.
type Licence struct {
	Expiry        time.Time
	InternalUsers int64
	ExternalUsers int64
}

// Usage counts the users a licence must cover.
type Usage struct {
	Internal int64
	External int64
}

// Total is what the licences still in force allow together.
type Total struct {
	InternalUsers int64
	ExternalUsers int64
	// Exp is the earliest expiry among them; zero when there are none,
	// which authentik reports as the Unix epoch.
	Exp time.Time
}

// Sum adds up the licences that have not expired at now.
func Sum(licences []Licence, now time.Time) Total {
	var t Total
	for _, l := range licences {
		if l.Expiry.Before(now) {
			continue
		}
		t.InternalUsers += l.InternalUsers
		t.ExternalUsers += l.ExternalUsers
		if t.Exp.IsZero() || l.Expiry.Before(t.Exp) {
			t.Exp = l.Expiry
		}
	}
	return t
}

// Covers reports whether the totals allow the current users; authentik
// checks only today's counts here, not their history.
func (t Total) Covers(u Usage) bool {
	return u.Internal <= t.InternalUsers && u.External <= t.ExternalUsers
}

// Summary is the LicenseSummary the API returns.
type Summary struct {
	InternalUsers    int64  `json:"internal_users"`
	ExternalUsers    int64  `json:"external_users"`
	Valid            bool   `json:"valid"`
	ShowAdminWarning bool   `json:"show_admin_warning"`
	ShowUserWarning  bool   `json:"show_user_warning"`
	ReadOnly         bool   `json:"read_only"`
	LatestValid      string `json:"latest_valid"`
	HasLicense       bool   `json:"has_license"`
}

// Grace periods after the last time usage was within the licence: the
// admin is warned first, then every user, then the install goes read-only.
const (
	AdminWarningAfter = 2 * 7 * 24 * time.Hour
	UserWarningAfter  = 4 * 7 * 24 * time.Hour
	ReadOnlyAfter     = 6 * 7 * 24 * time.Hour
)

// Summarize builds the summary. lastValid is the last time usage was
// recorded within the licence (now when there is no record).
func Summarize(t Total, u Usage, hasLicence bool, lastValid, now time.Time) Summary {
	exp := t.Exp
	if exp.IsZero() {
		exp = time.Unix(0, 0)
	}
	return Summary{
		InternalUsers:    t.InternalUsers,
		ExternalUsers:    t.ExternalUsers,
		Valid:            t.Covers(u),
		ShowAdminWarning: lastValid.Before(now.Add(-AdminWarningAfter)),
		ShowUserWarning:  lastValid.Before(now.Add(-UserWarningAfter)),
		ReadOnly:         lastValid.Before(now.Add(-ReadOnlyAfter)),
		LatestValid:      isoformat(exp),
		HasLicense:       hasLicence,
	}
}

// isoformat renders a time as Python's isoformat does for an aware UTC
// datetime after DRF swaps +00:00 for Z: no fraction when it is zero.
func isoformat(t time.Time) string {
	t = t.UTC()
	if t.Nanosecond()/1000 == 0 {
		return t.Format("2006-01-02T15:04:05Z")
	}
	return t.Format("2006-01-02T15:04:05.000000Z")
}

// Forecast is the LicenseForecast the API returns.
type Forecast struct {
	InternalUsers           int64 `json:"internal_users"`
	ExternalUsers           int64 `json:"external_users"`
	ForecastedInternalUsers int64 `json:"forecasted_internal_users"`
	ForecastedExternalUsers int64 `json:"forecasted_external_users"`
}

// ForecastMonths is how far authentik extrapolates.
const ForecastMonths = 12

// ForecastWindow is the recent period whose sign-ups are extrapolated.
const ForecastWindow = 30 * 24 * time.Hour

// Project extrapolates a year of growth the way authentik does: internal
// users at the rate they joined in the last 30 days; external users by
// taking the whole current external count as one month's growth.
func Project(u Usage, internalJoinedRecently int64) Forecast {
	return Forecast{
		InternalUsers:           u.Internal,
		ExternalUsers:           u.External,
		ForecastedInternalUsers: internalJoinedRecently * ForecastMonths,
		ForecastedExternalUsers: u.External * ForecastMonths,
	}
}

// User types that licences count.
const (
	TypeInternal = "internal"
	TypeExternal = "external"
)

// CountUsage counts active internal and external users; service accounts
// are free.
func CountUsage(ctx context.Context, tx store.Tx, reg *registry.Registry) (Usage, error) {
	um, typ, err := userColumns(reg)
	if err != nil {
		return Usage{}, err
	}
	active, err := column(um, "is_active")
	if err != nil {
		return Usage{}, err
	}
	var u Usage
	for t, dst := range map[string]*int64{TypeInternal: &u.Internal, TypeExternal: &u.External} {
		n, err := tx.Count(ctx, store.Query{Table: um.Table, Where: store.And(store.Eq(typ, t), store.Eq(active, true))})
		if err != nil {
			return Usage{}, fmt.Errorf("count %s users: %w", t, err)
		}
		*dst = n
	}
	return u, nil
}

// InternalJoinedSince counts internal users (active or not) who joined at
// or after since.
func InternalJoinedSince(ctx context.Context, tx store.Tx, reg *registry.Registry, since time.Time) (int64, error) {
	um, typ, err := userColumns(reg)
	if err != nil {
		return 0, err
	}
	joined, err := column(um, "date_joined")
	if err != nil {
		return 0, err
	}
	n, err := tx.Count(ctx, store.Query{Table: um.Table, Where: store.And(store.Eq(typ, TypeInternal),
		store.CmpCond{Column: joined, Op: ">=", Value: store.NowUTC(since)})})
	if err != nil {
		return 0, fmt.Errorf("count recently joined users: %w", err)
	}
	return n, nil
}

// StoredLicences reads every stored licence.
func StoredLicences(ctx context.Context, tx store.Tx, reg *registry.Registry) ([]Licence, error) {
	lm, ok := reg.Model("authentik_enterprise.license")
	if !ok {
		return nil, fmt.Errorf("registry has no licence model")
	}
	cols := map[string]string{}
	for _, f := range []string{"expiry", "internal_users", "external_users"} {
		c, err := column(lm, f)
		if err != nil {
			return nil, err
		}
		cols[f] = c
	}
	rows, err := tx.Select(ctx, store.Query{Table: lm.Table})
	if err != nil {
		return nil, fmt.Errorf("read licences: %w", err)
	}
	out := make([]Licence, 0, len(rows))
	for _, r := range rows {
		exp, _ := r[cols["expiry"]].(time.Time)
		out = append(out, Licence{Expiry: exp, InternalUsers: toInt(r[cols["internal_users"]]), ExternalUsers: toInt(r[cols["external_users"]])})
	}
	return out, nil
}

func userColumns(reg *registry.Registry) (*registry.Model, string, error) {
	um, ok := reg.Model("authentik_core.user")
	if !ok {
		return nil, "", fmt.Errorf("registry has no user model")
	}
	typ, err := column(um, "type")
	return um, typ, err
}

func column(m *registry.Model, field string) (string, error) {
	f, ok := m.Field(field)
	if !ok || !f.Stored() {
		return "", fmt.Errorf("%s has no stored field %s", m.Name, field)
	}
	return f.Column, nil
}

func toInt(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case int:
		return int64(x)
	case int32:
		return int64(x)
	case float64:
		return int64(x)
	}
	return 0
}
