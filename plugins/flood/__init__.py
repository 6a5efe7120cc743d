"""Heavy-rain flood simulation: 2-D local inertial rain-on-grid flow over the terrain raster."""
