package app

import (
	"errors"

	"github.com/akgo/akgo/internal/engine"
	"github.com/akgo/akgo/internal/store"
)

// startupAttempts bounds how often a start-up step runs again after
// losing a race.
const startupAttempts = 3

// raceAgain runs a start-up step that finds or creates rows in one
// transaction (the secret key, the permissions, the anonymous user, the
// bootstrap admin), and runs it again when it lost a race: replicas
// started together on a new database all find the rows missing, and all
// but one then fail to create them, on a unique constraint or the
// engine's check of one. The next run finds what the winner created.
func raceAgain(step func() error) error {
	var err error
	for range startupAttempts {
		if err = step(); err == nil || !lostRace(err) {
			return err
		}
	}
	return err
}

// lostRace reports an error that a concurrent creation of the same row
// explains.
func lostRace(err error) bool {
	var u *store.UniqueError
	if errors.As(err, &u) {
		return true
	}
	_, ok := engine.AsValidation(err)
	return ok
}
