"""Email for tickets: turning inbound mail into clean, safe values."""
