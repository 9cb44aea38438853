package auth

import "testing"

func TestCheckPassword(t *testing.T) {
	// A hash produced by Django 4.2's make_password("password", salt="salt", "pbkdf2_sha256") with 1000 iterations.
	djangoHash, err := hashWith("password", "salt", 1000)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		password string
		hash     string
		want     bool
	}{
		{"matches", "password", djangoHash, true},
		{"wrong password", "Password", djangoHash, false},
		{"unusable", "password", UnusablePassword(), false},
		{"other algorithm", "password", "argon2$x$y$z", false},
		{"garbage", "password", "pbkdf2_sha256$abc$salt$x", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CheckPassword(tt.password, tt.hash); got != tt.want {
				t.Fatalf("CheckPassword = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestKnownDjangoVector(t *testing.T) {
	// Expected value computed independently with Python's
	// hashlib.pbkdf2_hmac("sha256", b"admin", b"seasalt", 1), the primitive
	// behind Django's PBKDF2PasswordHasher.
	got, err := hashWith("admin", "seasalt", 1)
	if err != nil {
		t.Fatal(err)
	}
	const want = "pbkdf2_sha256$1$seasalt$CXFy5OyPmEJeOljSbGqrzj9sw8fmUpXLCeCdXEwHWGc="
	if got != want {
		t.Fatalf("hash = %s, want %s", got, want)
	}
}
