package policies

import (
	"bufio"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/trustelem/zxcvbn/match"

	"github.com/akgo/akgo/internal/policies/zxcvbn"
)

// passwordPolicy checks the password found in the prompt data (or the
// context) under password_field: static character rules, Have I Been
// Pwned and zxcvbn, in that order, stopping at the first failure.
func passwordPolicy(ctx context.Context, e *Engine, p *policy, req *Request) (Result, error) {
	field := p.str("password_field")
	var raw any
	if prompt, ok := req.Context["prompt_data"].(map[string]any); ok {
		raw = prompt[field]
	}
	if raw == nil {
		raw = req.Context[field]
	}
	password := ""
	if raw != nil {
		password = fmt.Sprint(raw)
	}
	if password == "" {
		keys := make([]any, 0, len(req.Context))
		for k := range req.Context {
			keys = append(keys, k)
		}
		return Result{Passing: false, Messages: []string{"Password not set in context"}, LogMessages: []map[string]any{
			logEntry("warning", "Password field not set in Policy Request", map[string]any{"field": field, "fields": keys})}}, nil
	}
	if p.bool("check_static_rules") {
		if r := staticRules(p, password); !r.Passing {
			return r, nil
		}
	}
	if p.bool("check_have_i_been_pwned") {
		r, err := e.hibp(ctx, p, password)
		if err != nil || !r.Passing {
			return r, err
		}
	}
	if p.bool("check_zxcvbn") {
		if r := zxcvbnCheck(p, password, req); !r.Passing {
			return r, nil
		}
	}
	return Result{Passing: true}, nil
}

var (
	reLower  = regexp.MustCompile(`[a-z]`)
	reUpper  = regexp.MustCompile(`[A-Z]`)
	reDigits = regexp.MustCompile(`[0-9]`)
)

func staticRules(p *policy, password string) Result {
	fail := func(reason string) Result {
		return Result{Passing: false, Messages: []string{p.str("error_message")}, LogMessages: []map[string]any{
			logEntry("debug", "password failed", map[string]any{"check": "static", "reason": reason})}}
	}
	if int64(utf8.RuneCountInString(password)) < p.int("length_min") {
		return fail("length")
	}
	counts := []struct {
		field string
		re    *regexp.Regexp
	}{{"amount_digits", reDigits}, {"amount_lowercase", reLower}, {"amount_uppercase", reUpper}}
	for _, c := range counts {
		if want := p.int(c.field); want > 0 && int64(len(c.re.FindAllString(password, -1))) < want {
			return fail(c.field)
		}
	}
	if want := p.int("amount_symbols"); want > 0 {
		var n int64
		for _, sym := range p.str("symbol_charset") {
			n += int64(strings.Count(password, string(sym)))
		}
		if n < want {
			return fail("amount_symbols")
		}
	}
	return Result{Passing: true}
}

// hibp asks the range endpoint for the first five hex digits of the
// password's SHA-1 and looks for the rest in the answer
// ("SUFFIX:COUNT" lines).
func (e *Engine) hibp(ctx context.Context, p *policy, password string) (Result, error) {
	sum := sha1.Sum([]byte(password))
	hash := hex.EncodeToString(sum[:])
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.HIBPURL+hash[:5], nil)
	if err != nil {
		return Result{}, fmt.Errorf("have i been pwned request: %w", err)
	}
	resp, err := e.HTTPClient.Do(req)
	if err != nil {
		return Result{}, fmt.Errorf("have i been pwned: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return Result{}, fmt.Errorf("have i been pwned: status %s", resp.Status)
	}
	var count int64
	scanner := bufio.NewScanner(resp.Body)
	for scanner.Scan() {
		suffix, n, ok := strings.Cut(strings.TrimSpace(scanner.Text()), ":")
		if ok && strings.EqualFold(suffix, hash[5:]) {
			count, _ = strconv.ParseInt(strings.TrimSpace(n), 10, 64)
		}
	}
	if err := scanner.Err(); err != nil {
		return Result{}, fmt.Errorf("have i been pwned: read answer: %w", err)
	}
	logs := []map[string]any{logEntry("debug", "got hibp result", map[string]any{"count": count, "hash": hash[:5]})}
	if count > p.int("hibp_allowed_count") {
		return Result{Passing: false, Messages: []string{fmt.Sprintf("Password exists on %d online lists.", count)}, LogMessages: logs}, nil
	}
	return Result{Passing: true, LogMessages: logs}, nil
}

// zxcvbnCheck scores the first 100 characters with the user's own data as
// hints; the score must exceed the threshold. Like authentik, it reports
// zxcvbn's suggestions as messages.
func zxcvbnCheck(p *policy, password string, req *Request) Result {
	var inputs []string
	if u := req.User; u != nil {
		inputs = append(inputs, u.Username, u.Name, u.Email)
	}
	if r := []rune(password); len(r) > 100 {
		password = string(r[:100])
	}
	res := zxcvbn.PasswordStrength(password, inputs)
	out := Result{Passing: int64(res.Score) > p.int("zxcvbn_score_threshold"),
		LogMessages: []map[string]any{logEntry("debug", "password failed", map[string]any{"check": "zxcvbn", "score": res.Score})}}
	out.Messages = zxcvbnSuggestions(res.Score, res.Sequence)
	return out
}

var (
	startUpper = regexp.MustCompile(`^[A-Z][^A-Z]+$`)
	allUpper   = regexp.MustCompile(`^[^a-z]+$`)
)

// zxcvbnSuggestions is zxcvbn's feedback: suggestions for the longest
// match of a weak password.
func zxcvbnSuggestions(score int, seq []*match.Match) []string {
	if len(seq) == 0 {
		return []string{"Use a few words, avoid common phrases.", "No need for symbols, digits, or uppercase letters."}
	}
	if score > 2 {
		return nil
	}
	longest := seq[0]
	for _, m := range seq[1:] {
		if len(m.Token) > len(longest.Token) {
			longest = m
		}
	}
	out := []string{"Add another word or two. Uncommon words are better."}
	switch longest.Pattern {
	case "dictionary":
		word := longest.Token
		if startUpper.MatchString(word) {
			out = append(out, "Capitalization doesn't help very much.")
		} else if allUpper.MatchString(word) && strings.ToLower(word) != word {
			out = append(out, "All-uppercase is almost as easy to guess as all-lowercase.")
		}
		if longest.Reversed && len(word) >= 4 {
			out = append(out, "Reversed words aren't much harder to guess.")
		}
		if longest.L33t {
			out = append(out, "Predictable substitutions like '@' instead of 'a' don't help very much.")
		}
	case "spatial":
		out = append(out, "Use a longer keyboard pattern with more turns.")
	case "repeat":
		out = append(out, "Avoid repeated words and characters.")
	case "sequence":
		out = append(out, "Avoid sequences.")
	case "regex":
		if longest.RegexName == "recent_year" {
			out = append(out, "Avoid recent years.", "Avoid years that are associated with you.")
		}
	case "date":
		out = append(out, "Avoid dates and years that are associated with you.")
	}
	return out
}
