package main

import (
	"fmt"
	"os"

	"gopkg.in/yaml.v3"
)

// document is the part of an OpenAPI 3.0 document the generator reads.
// It is decoded with yaml.v3 rather than kin-openapi because the
// generated structs list fields in the schema's order, which kin-openapi's
// maps lose.
type document struct {
	Info struct {
		Version string `yaml:"version"`
	} `yaml:"info"`
	Paths      ordered[ordered[*operation]] `yaml:"paths"`
	Components struct {
		Schemas ordered[*schema] `yaml:"schemas"`
	} `yaml:"components"`
}

type operation struct {
	OperationID string                `yaml:"operationId"`
	Description string                `yaml:"description"`
	Summary     string                `yaml:"summary"`
	Deprecated  bool                  `yaml:"deprecated"`
	Tags        []string              `yaml:"tags"`
	Parameters  []*parameter          `yaml:"parameters"`
	RequestBody *requestBody          `yaml:"requestBody"`
	Responses   ordered[*response]    `yaml:"responses"`
	Security    []map[string][]string `yaml:"security"`
}

type parameter struct {
	Name        string  `yaml:"name"`
	In          string  `yaml:"in"`
	Required    bool    `yaml:"required"`
	Description string  `yaml:"description"`
	Schema      *schema `yaml:"schema"`
}

type requestBody struct {
	Required bool                `yaml:"required"`
	Content  ordered[*mediaType] `yaml:"content"`
}

type response struct {
	Description string              `yaml:"description"`
	Content     ordered[*mediaType] `yaml:"content"`
}

type mediaType struct {
	Schema *schema `yaml:"schema"`
}

type schema struct {
	Ref                  string           `yaml:"$ref"`
	Type                 string           `yaml:"type"`
	Format               string           `yaml:"format"`
	Title                string           `yaml:"title"`
	Description          string           `yaml:"description"`
	Nullable             bool             `yaml:"nullable"`
	ReadOnly             bool             `yaml:"readOnly"`
	WriteOnly            bool             `yaml:"writeOnly"`
	Enum                 []string         `yaml:"enum"`
	Items                *schema          `yaml:"items"`
	Properties           ordered[*schema] `yaml:"properties"`
	Required             []string         `yaml:"required"`
	AdditionalProperties *additional      `yaml:"additionalProperties"`
	AllOf                []*schema        `yaml:"allOf"`
	OneOf                []*schema        `yaml:"oneOf"`
	Discriminator        *discriminator   `yaml:"discriminator"`
}

type discriminator struct {
	PropertyName string          `yaml:"propertyName"`
	Mapping      ordered[string] `yaml:"mapping"`
}

// additional is additionalProperties, which is either a boolean or a
// schema ({} meaning any value).
type additional struct {
	Allowed bool
	Schema  *schema
}

func (a *additional) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		return n.Decode(&a.Allowed)
	}
	a.Allowed = true
	a.Schema = new(schema)
	return n.Decode(a.Schema)
}

// ordered is a YAML mapping that remembers its key order.
type ordered[T any] struct {
	Keys   []string
	Values map[string]T
}

func (o *ordered[T]) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: expected a mapping", n.Line)
	}
	o.Values = make(map[string]T, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		key := n.Content[i].Value
		var v T
		if err := n.Content[i+1].Decode(&v); err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		if _, dup := o.Values[key]; dup {
			return fmt.Errorf("line %d: duplicate key %q", n.Content[i].Line, key)
		}
		o.Keys = append(o.Keys, key)
		o.Values[key] = v
	}
	return nil
}

// loadDocument reads and decodes the schema file.
func loadDocument(path string) (*document, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read schema: %w", err)
	}
	var doc document
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("decode schema %s: %w", path, err)
	}
	return &doc, nil
}
