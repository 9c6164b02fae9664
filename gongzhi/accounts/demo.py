"""The accounts' share of the Xincheng demo (gongzhi/core/demo.py): the demo users, their roles and posts.

Two steps. `plan_homes`, before the organisations are planned: the demo residents resident1 and resident2
head the first household of compounds 1 and 2 (`plan.account_homes` {compound index: household index}),
and those households are kept out of every post. `plan_accounts`, after them: `plan.accounts` (dicts:
username, display_name, phone, role, scope, org, resident (household index, member index) or None,
superuser) and `plan.staff_posts`, the posts the staff accounts hold (in plan.memberships' form).
Load: the users with their roles, then their posts; `plan.loaded.users` {username: User}.
"""
from gongzhi.core import crypto
from gongzhi.core.demo import DEMO_PASSWORD
from gongzhi.grid.demo import first_households, node
from gongzhi.orgs.demo import TERM_BRANCH, TERM_OWNERS, post, write_posts
from gongzhi.people.demo import resident as planned_resident

from .models import RoleAssignment, User

RESIDENT_ACCOUNTS = (("resident1", 0), ("resident2", 1))  # username, compound index


def plan_homes(plan):
    first = first_households(plan)
    plan.account_homes = {ci: first[ci] for _, ci in RESIDENT_ACCOUNTS}
    plan.posts.reserve(plan.account_homes.values())


def plan_accounts(plan):
    rng, compounds = plan.rng, plan.compounds
    # Staff get a mobile number so they can log in with it.
    accounts, members = [], []

    def account(username, display_name, role=None, scope=None, org_key=None, resident_ref=None, phone=None,
                superuser=False):
        if resident_ref is not None:
            person = planned_resident(plan, resident_ref)
            display_name = person.name
            phone = person.phone or rng.new_phone()
        accounts.append({"username": username, "display_name": display_name, "role": role, "scope": scope,
                         "org": org_key, "resident": resident_ref,
                         "phone": phone if phone is not None else rng.new_phone(), "superuser": superuser})

    def member(org_key, position, ref=None, term=(None, None), user=None):
        members.append(post(plan, org_key, position, ref, term, user=user, name=accounts[-1]["display_name"]))

    def staff_name():
        return rng.name(rng.choice("MF"), rng.randint(1975, 1998))

    account("admin", "系统管理员", superuser=True, phone="")
    account("street_admin", staff_name(), "subdistrict_admin", ("subdistrict", 0))
    member("street_office", "网格化管理员", user="street_admin")
    account("community_worker", staff_name(), "community_worker", ("community", 0))
    member("community_office", "社区专职工作者", user="community_worker")
    account("grid_worker1", staff_name(), "grid_worker", ("compound", 0))
    member("community_office", f"网格员（{compounds[0]['name']}）", user="grid_worker1")
    account("grid_worker2", staff_name(), "grid_worker", ("compound", 1))
    member("community_office", f"网格员（{compounds[1]['name']}）", user="grid_worker2")
    account("property1", staff_name(), "property_staff", org_key="junsheng")
    member("junsheng", "客服主管", user="property1")
    owner_ref = plan.posts.pick([0], age=(30, 65), owner=True)
    account("owners1", staff_name(), "owners_committee", org_key="owners_1", resident_ref=owner_ref)
    member("owners_1", "委员", owner_ref, TERM_OWNERS, user="owners1")
    member_ref = plan.posts.pick([0], age=(22, 65))
    account("member1", staff_name(), "party_member", org_key="party_committee", resident_ref=member_ref)
    member("branch_1", "党员/志愿者", member_ref, TERM_BRANCH, user="member1")
    for username, ci in RESIDENT_ACCOUNTS:
        hi = plan.account_homes[ci]
        account(username, "", "resident", ("household", hi), resident_ref=(hi, 0))
    account("rider1", staff_name(), "outdoor_worker")
    # Staff of the other two property companies, so their appeals have someone to handle them.
    account("property2", staff_name(), "property_staff", org_key="anju")
    member("anju", "客服专员", user="property2")
    account("property3", staff_name(), "property_staff", org_key="jincheng")
    member("jincheng", "客服专员", user="property3")
    plan.accounts, plan.staff_posts = accounts, members


def load_accounts(plan):
    resident_pk, orgs = plan.loaded.resident_pk, plan.loaded.orgs
    users, skipped = {}, []
    taken_usernames = set(User.objects.filter(username__in=[a["username"] for a in plan.accounts])
                          .values_list("username", flat=True))
    for a in plan.accounts:
        if a["username"] in taken_usernames:
            skipped.append(a["username"])
            continue
        make = User.objects.create_superuser if a["superuser"] else User.objects.create_user
        u = make(username=a["username"], password=DEMO_PASSWORD, display_name=a["display_name"],
                 is_staff=a["superuser"], resident_id=resident_pk.get(a["resident"]) if a["resident"] else None)
        if a["phone"] and not User.objects.filter(phone_hash=crypto.lookup_hash(a["phone"])).exists():
            u.set_phone(a["phone"])
            u.save(update_fields=["phone_enc", "phone_hash", "phone_masked"])
        users[a["username"]] = u
        if a["role"]:
            ra = RoleAssignment(user=u, role=a["role"], organisation=orgs.get(a["org"]) if a["org"] else None)
            if a["scope"]:
                for k, v in node(plan, a["scope"]).items():
                    setattr(ra, k, v)
            ra.save()
    plan.loaded.users = users
    write_posts(plan, plan.staff_posts)
    return {"users": len(users), "skipped_users": skipped, "memberships": len(plan.staff_posts)}
