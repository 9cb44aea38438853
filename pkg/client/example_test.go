package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strconv"
	"time"

	"github.com/akgo/akgo/pkg/client"
)

// fakeAuthentik stands in for an authentik server in the examples: five
// flows served two per page, and a create that rejects a taken slug.
func fakeAuthentik() *httptest.Server {
	slugs := []string{"default-authentication-flow", "default-invalidation-flow",
		"default-enrollment-flow", "default-recovery-flow", "default-user-settings-flow"}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v3/flows/instances/", func(w http.ResponseWriter, r *http.Request) {
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		size, _ := strconv.Atoi(r.URL.Query().Get("page_size"))
		page, size = max(page, 1), max(size, 1)
		start, end := min((page-1)*size, len(slugs)), min(page*size, len(slugs))
		next := page + 1
		if end == len(slugs) {
			next = 0
		}
		out := client.PaginatedFlowList{Pagination: client.Pagination{Next: float64(next), Current: float64(page), Count: float64(len(slugs))}}
		for _, s := range slugs[start:end] {
			out.Results = append(out.Results, client.Flow{Slug: s, Designation: client.FlowDesignationEnumAuthentication})
		}
		_ = json.NewEncoder(w).Encode(out)
	})
	mux.HandleFunc("POST /api/v3/flows/instances/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"slug":["flow with this slug already exists."]}`))
	})
	return httptest.NewServer(mux)
}

func ExampleNew() {
	c, err := client.New("https://authentik.example.com", "my-api-token",
		client.WithUserAgent("my-tool/1.0"),
		client.WithTimeout(30*time.Second),
		client.WithRetry(client.RetryPolicy{MaxRetries: 5, MinBackoff: time.Second, MaxBackoff: 30 * time.Second, MaxRetryAfter: 2 * time.Minute}),
	)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.BaseURL())
	// Output: https://authentik.example.com/api/v3
}

func ExampleFlowsService_InstancesList() {
	srv := fakeAuthentik()
	defer srv.Close()
	c, err := client.New(srv.URL, "my-api-token")
	if err != nil {
		log.Fatal(err)
	}
	page, err := c.Flows.InstancesList(context.Background(), &client.FlowsInstancesListParams{
		PageSize: client.Ptr(2),
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range page.Results {
		fmt.Println(f.Slug, f.Designation)
	}
	fmt.Println("total:", page.Pagination.Count)
	// Output:
	// default-authentication-flow authentication
	// default-invalidation-flow authentication
	// total: 5
}

func ExampleAPIError() {
	srv := fakeAuthentik()
	defer srv.Close()
	c, err := client.New(srv.URL, "my-api-token")
	if err != nil {
		log.Fatal(err)
	}
	_, err = c.Flows.InstancesCreate(context.Background(), client.FlowRequest{
		Name: "Login", Slug: "default-authentication-flow", Title: "Welcome",
		Designation: client.FlowDesignationEnumAuthentication,
	})
	var apiErr *client.APIError
	if errors.As(err, &apiErr) && client.IsValidation(err) {
		fmt.Println(apiErr.StatusCode, apiErr.Fields["slug"])
	}
	fmt.Println(err)
	// Output:
	// 400 [flow with this slug already exists.]
	// authentik: POST /flows/instances/: 400 Bad Request: slug: flow with this slug already exists.
}

func ExampleAll() {
	srv := fakeAuthentik()
	defer srv.Close()
	c, err := client.New(srv.URL, "my-api-token")
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	// Each page is fetched when the loop reaches it; breaking out stops.
	for flow, err := range client.All(ctx, func(page int) (*client.PaginatedFlowList, error) {
		return c.Flows.InstancesList(ctx, &client.FlowsInstancesListParams{Page: &page, PageSize: client.Ptr(2)})
	}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(flow.Slug)
	}
	// Output:
	// default-authentication-flow
	// default-invalidation-flow
	// default-enrollment-flow
	// default-recovery-flow
	// default-user-settings-flow
}

func ExampleNullable() {
	// A PATCH sends only the fields that are set: here a new name and a
	// parent cleared to null; every other field of the group is kept.
	body := client.PatchedGroupRequest{
		Name:   client.Ptr("admins"),
		Parent: client.Null[string](),
	}
	data, err := json.Marshal(body)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(data))
	// Output: {"name":"admins","parent":null}
}
