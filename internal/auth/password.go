package auth

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
)

// PBKDF2Iterations is Django 4.2's default for pbkdf2_sha256 (authentik
// 2023.10 runs on Django 4.2).
const PBKDF2Iterations = 600000

const saltAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// HashPassword returns a Django "pbkdf2_sha256$iterations$salt$hash" string.
func HashPassword(password string) (string, error) {
	return hashWith(password, randomSalt(22), PBKDF2Iterations)
}

func hashWith(password, salt string, iterations int) (string, error) {
	key, err := pbkdf2.Key(sha256.New, password, []byte(salt), iterations, sha256.Size)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return fmt.Sprintf("pbkdf2_sha256$%d$%s$%s", iterations, salt, base64.StdEncoding.EncodeToString(key)), nil
}

// CheckPassword verifies a password against a Django pbkdf2_sha256 hash.
// Unusable hashes (Django's "!..." marker) and other algorithms never match.
func CheckPassword(password, encoded string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 4 || parts[0] != "pbkdf2_sha256" {
		return false
	}
	iterations, err := strconv.Atoi(parts[1])
	if err != nil || iterations <= 0 {
		return false
	}
	want, err := hashWith(password, parts[2], iterations)
	if err != nil {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(want), []byte(encoded)) == 1
}

// UnusablePassword is what Django stores for a user without a password.
func UnusablePassword() string { return "!" + randomSalt(40) }

func randomSalt(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	for i := range b {
		b[i] = saltAlphabet[int(b[i])%len(saltAlphabet)]
	}
	return string(b)
}

// NewTokenKey returns a random API token key like authentik's generate_key
// (128 alphanumeric characters).
func NewTokenKey() string { return randomSalt(128) }
