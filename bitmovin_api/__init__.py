"""The Bitmovin Analytics HTTP client the dynamic providers use: requests, retries, errors, the API URL rule."""
