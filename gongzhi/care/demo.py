def load_care(plan):
    return {"care_cases": 0}
