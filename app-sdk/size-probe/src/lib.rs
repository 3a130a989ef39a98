//! Size probe.
