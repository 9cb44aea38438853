package engine

// SelectColumns exposes the columns a list selects to the external tests.
var SelectColumns = (*Engine).selectColumns
