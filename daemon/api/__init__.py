"""aiohttp handlers, one module per API family, plus auth, errors and the OpenAPI document."""
