package licensing_test

import (
	"testing"
	"time"

	"github.com/akgo/akgo/internal/licensing"
)

func TestSum(t *testing.T) {
	now := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	soon, later := now.Add(24*time.Hour), now.Add(48*time.Hour)
	cases := []struct {
		name     string
		licences []licensing.Licence
		want     licensing.Total
	}{
		{"none", nil, licensing.Total{}},
		{"expired ones do not count", []licensing.Licence{{Expiry: now.Add(-time.Second), InternalUsers: 5, ExternalUsers: 5}}, licensing.Total{}},
		{"expiring this instant still counts", []licensing.Licence{{Expiry: now, InternalUsers: 1}}, licensing.Total{InternalUsers: 1, Exp: now}},
		{"sums and takes the earliest expiry", []licensing.Licence{
			{Expiry: later, InternalUsers: 10, ExternalUsers: 100},
			{Expiry: soon, InternalUsers: 5, ExternalUsers: 1},
			{Expiry: now.Add(-time.Hour), InternalUsers: 1000},
		}, licensing.Total{InternalUsers: 15, ExternalUsers: 101, Exp: soon}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := licensing.Sum(tc.licences, now); got != tc.want {
				t.Fatalf("Sum = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	now := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	week := 7 * 24 * time.Hour
	total := licensing.Total{InternalUsers: 10, ExternalUsers: 5, Exp: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}
	cases := []struct {
		name      string
		total     licensing.Total
		usage     licensing.Usage
		lastValid time.Time
		want      licensing.Summary
	}{
		{"covered, recently valid", total, licensing.Usage{Internal: 10, External: 5}, now,
			licensing.Summary{InternalUsers: 10, ExternalUsers: 5, Valid: true, LatestValid: "2025-01-02T03:04:05Z", HasLicense: true}},
		{"too many internal users", total, licensing.Usage{Internal: 11}, now,
			licensing.Summary{InternalUsers: 10, ExternalUsers: 5, LatestValid: "2025-01-02T03:04:05Z", HasLicense: true}},
		{"too many external users", total, licensing.Usage{External: 6}, now,
			licensing.Summary{InternalUsers: 10, ExternalUsers: 5, LatestValid: "2025-01-02T03:04:05Z", HasLicense: true}},
		{"admin warning after two weeks", total, licensing.Usage{}, now.Add(-2*week - time.Second),
			licensing.Summary{InternalUsers: 10, ExternalUsers: 5, Valid: true, ShowAdminWarning: true, LatestValid: "2025-01-02T03:04:05Z", HasLicense: true}},
		{"user warning after four weeks", total, licensing.Usage{}, now.Add(-4*week - time.Second),
			licensing.Summary{InternalUsers: 10, ExternalUsers: 5, Valid: true, ShowAdminWarning: true, ShowUserWarning: true, LatestValid: "2025-01-02T03:04:05Z", HasLicense: true}},
		{"read-only after six weeks", total, licensing.Usage{}, now.Add(-6*week - time.Second),
			licensing.Summary{InternalUsers: 10, ExternalUsers: 5, Valid: true, ShowAdminWarning: true, ShowUserWarning: true, ReadOnly: true, LatestValid: "2025-01-02T03:04:05Z", HasLicense: true}},
		{"no licence reports the epoch", licensing.Total{}, licensing.Usage{Internal: 1}, now,
			licensing.Summary{LatestValid: "1970-01-01T00:00:00Z"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := licensing.Summarize(tc.total, tc.usage, !tc.total.Exp.IsZero(), tc.lastValid, now)
			if got != tc.want {
				t.Fatalf("Summarize = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestProject(t *testing.T) {
	cases := []struct {
		name   string
		usage  licensing.Usage
		joined int64
		want   licensing.Forecast
	}{
		{"nobody", licensing.Usage{}, 0, licensing.Forecast{}},
		{"growth", licensing.Usage{Internal: 40, External: 3}, 2, licensing.Forecast{InternalUsers: 40, ExternalUsers: 3, ForecastedInternalUsers: 24, ForecastedExternalUsers: 36}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := licensing.Project(tc.usage, tc.joined); got != tc.want {
				t.Fatalf("Project = %+v, want %+v", got, tc.want)
			}
		})
	}
}
