"""What leaves the course: grades and feedback for an LMS, the signed receipts of the exchange as
CSV, and the students' bundle. In: the gradebook and the feedback pages. Out: files to upload or
hand out.
"""
