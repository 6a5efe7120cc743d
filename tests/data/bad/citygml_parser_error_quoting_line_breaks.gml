<?xml version="1.0" encoding="UTF-8"?>
<core:CityModel xmlns:core="http://www.opengis.net/citygml/2.0" xmlns:bldg="http://www.opengis.net/citygml/building/2.0" xmlns:gml="http://www.opengis.net/gml"><core:cityObjectMember><bldg:Building gml:id="b1"><!-- a -- b
		c --></bldg:Building></core:cityObjectMember></core:CityModel>
