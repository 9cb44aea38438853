package client

import (
	"context"
	"iter"
)

// PageInfoer is implemented by every generated Paginated*List type.
type PageInfoer interface {
	// PageInfo returns the page's position in the whole list.
	PageInfo() Pagination
}

// Pager is a page of a list of T: every generated Paginated*List type is
// a Pager of its item type.
type Pager[T any] interface {
	PageInfoer
	// Items returns the objects on the page.
	Items() []T
}

// Pages calls fetch for page 1, 2, ... and yields each page, following the
// server's "next" until it is 0. Only one page is held at a time, so a
// list of any length is walked in bounded memory. It stops after the
// first error (yielded with a nil page) or when ctx is done.
//
//	for page, err := range client.Pages(ctx, func(n int) (*client.PaginatedFlowList, error) {
//		return c.Flows.InstancesList(ctx, &client.FlowsInstancesListParams{Page: &n})
//	}) { ... }
func Pages[P PageInfoer](ctx context.Context, fetch func(page int) (P, error)) iter.Seq2[P, error] {
	return func(yield func(P, error) bool) {
		var zero P
		for n := 1; ; {
			if err := ctx.Err(); err != nil {
				yield(zero, err)
				return
			}
			page, err := fetch(n)
			if err != nil {
				yield(zero, err)
				return
			}
			if !yield(page, nil) {
				return
			}
			next := int(page.PageInfo().Next)
			// A next that does not move forward would loop forever.
			if next <= n {
				return
			}
			n = next
		}
	}
}

// All yields every item of a paginated list, page by page (see Pages).
// After an error it yields the zero item with the error and stops.
//
//	for flow, err := range client.All(ctx, func(n int) (*client.PaginatedFlowList, error) {
//		return c.Flows.InstancesList(ctx, &client.FlowsInstancesListParams{Page: &n})
//	}) { ... }
func All[T any, P Pager[T]](ctx context.Context, fetch func(page int) (P, error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for page, err := range Pages(ctx, fetch) {
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, item := range page.Items() {
				if !yield(item, nil) {
					return
				}
			}
		}
	}
}
