"""Crafted school-year amounts for tests of the 优质均衡 resource rule."""

# Per-1000-pupil amounts that sit exactly on the 小学 standards (4.2, 1, 0.9, 4.5, 7.5, 2000, 2.3):
# a school of 1000 pupils with these meets all seven indicators with nothing to spare.
AT_STANDARD = {
    "teachers_above_degree": 42,
    "backbone_teachers": 10,
    "pe_art_teachers": 9,
    "teaching_area_m2": 4500,
    "sports_area_m2": 7500,
    "equipment_yuan": 2_000_000,
    "multimedia_rooms": 23,
}
