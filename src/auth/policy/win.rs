//! The win rules of the policy.
