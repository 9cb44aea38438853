package certs

import (
	"context"
	"fmt"
	"time"

	"github.com/akgo/akgo/internal/store"
)

const settingsTable = "akgo_settings"

// settingLicenseLastValid is when the licences last covered the users:
// authentik's newest within-limits LicenseUsage record, which its
// calculate_license task writes every two hours.
const settingLicenseLastValid = "license_last_valid"

// readLastValid returns the recorded last-valid moment, if any. A value
// that does not parse counts as no record.
func readLastValid(ctx context.Context, tx store.Tx) (time.Time, bool, error) {
	rows, err := tx.Select(ctx, store.Query{Table: settingsTable, Where: store.Eq("key", settingLicenseLastValid), Limit: 1})
	if err != nil {
		return time.Time{}, false, fmt.Errorf("read setting %s: %w", settingLicenseLastValid, err)
	}
	if len(rows) == 0 {
		return time.Time{}, false, nil
	}
	v, _ := rows[0]["value"].(string)
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, false, nil
	}
	return t, true, nil
}

// recordLastValid stores t as the last-valid moment.
func recordLastValid(ctx context.Context, tx store.Tx, t time.Time) error {
	value := t.UTC().Format(time.RFC3339Nano)
	n, err := tx.UpdateWhere(ctx, settingsTable, store.Eq("key", settingLicenseLastValid), store.Row{"value": value})
	if err != nil {
		return fmt.Errorf("write setting %s: %w", settingLicenseLastValid, err)
	}
	if n == 0 {
		if _, err := tx.Insert(ctx, settingsTable, store.Row{"key": settingLicenseLastValid, "value": value}); err != nil {
			return fmt.Errorf("write setting %s: %w", settingLicenseLastValid, err)
		}
	}
	return nil
}
