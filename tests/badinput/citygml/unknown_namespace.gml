<?xml version="1.0" encoding="UTF-8"?>
<CityModel xmlns="http://example.org/not-citygml"><cityObjectMember/></CityModel>
