"""Sign-up's declaration (gongzhi.accounts.capabilities): who reviews a resident's sign-up.

The grid workers over the household the applicant claimed, its community's desk and the sub-district review
it (they may read that household's registered residents already, to compare); the applicant reads their own.
"""
from gongzhi.accounts.capabilities import PLACED, Capability, Record, by, relation
from gongzhi.accounts.models import Role as R

SIGNUP_VIEW = "signup.view"
SIGNUP_REVIEW = "signup.review"
SIGNUP = "signup.SignupRequest"

CAPABILITY = Capability(
    name="signup",
    actions=(SIGNUP_VIEW, SIGNUP_REVIEW),
    grants={SIGNUP_REVIEW: by(R.SUBDISTRICT_ADMIN, R.COMMUNITY_WORKER, R.GRID_WORKER)},
    records=(Record(SIGNUP, PLACED),),
    relations=(relation("applicant", SIGNUP, {SIGNUP_VIEW}, user="user"),),
    implied_by={SIGNUP_VIEW: (SIGNUP_REVIEW,)},
    writes=frozenset({SIGNUP_REVIEW}),
)
