"""Client sync: API client, outbox relay, update feed, connectivity, credentials. No Qt."""
