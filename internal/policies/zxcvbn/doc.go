// Package zxcvbn is github.com/trustelem/zxcvbn v1.0.1 (MIT licence, see
// LICENSE.txt) with one change: the ranked frequency dictionaries are
// built on the first password check instead of at program start.
//
// Upstream builds them in a package variable initialiser, and Go runs a
// linked package's initialisers whether or not it is ever used: every
// akserver process paid about 12 MB of heap for dictionaries that only a
// password policy with check_zxcvbn reads. This package holds the upstream
// top-level function and its matching package (the one that owned the
// dictionaries), whose word lists are upstream's frequency lists as
// embedded text; match, scoring and adjacency are used from the upstream
// module unchanged. TestSameAsUpstream checks that scores and match
// sequences are identical.
package zxcvbn
