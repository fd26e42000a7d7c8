"""One module per page kind: each turns request parameters into that page's typed data."""
