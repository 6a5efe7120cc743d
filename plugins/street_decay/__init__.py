"""Street-condition decay: ratings after the German scheme, forecasts and maintenance strategies."""
