// Package policyapi owns the API actions over the policy engine and the
// expression evaluator: testing a policy or a property mapping for a user
// (policies_all_test_create, propertymappings_all_test_create), the
// policy result cache (cache_info, cache_clear) and the flow plan cache
// counterpart, previewing a prompt with its expressions evaluated
// (stages_prompt_prompts_preview_create), and the save-time syntax check
// of every expression field. It shares the server's policies.Engine
// (policies.For), so the flow executor and these actions see one cache.
package policyapi
