// The Store's dashboard accounts: users, memberships, web sessions, sign-in links, invites, the audit log;
// on both backends (store_test_support.h).
#include <gtest/gtest.h>

#include "cluster/crypto.h"
#include "relay/store.h"
#include "store_test_support.h"

namespace quorum::relay {
namespace {

using testing::ok;
using testing::StoreTest;

TEST_P(StoreTest, UsersAreUniqueByTheirLowercasedEmail) {
  auto ann = ok(store().add_user("Ann@Example.com", "$argon2id$fake", true));
  ASSERT_TRUE(ann);
  EXPECT_EQ(ann->email, "ann@example.com");
  EXPECT_TRUE(ann->is_operator);
  EXPECT_EQ(ann->created_at, kStart);
  EXPECT_FALSE(ok(store().add_user("ANN@example.com")));  // taken, whatever the case

  auto found = ok(store().user_by_email("ann@EXAMPLE.com"));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->id, ann->id);
  EXPECT_EQ(found->password_hash, "$argon2id$fake");
  auto bob = ok(store().add_user("bob@example.com"));
  ASSERT_TRUE(bob);
  EXPECT_EQ(ok(store().user_by_id(bob->id))->password_hash, "");  // no password
  EXPECT_FALSE(ok(store().user_by_id(bob->id))->is_operator);

  auto all = ok(store().list_users());
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].email, "ann@example.com");
  EXPECT_EQ(all[1].email, "bob@example.com");

  EXPECT_EQ(store().add_user("not an email").error().status, 400);
  EXPECT_EQ(store().add_user("@x").error().status, 400);
}

TEST_P(StoreTest, MembersHaveOneRolePerClusterAndGoWithTheirUser) {
  add_cluster("c1");
  add_cluster("c2");
  auto ann = *ok(store().add_user("ann@example.com"));
  auto bob = *ok(store().add_user("bob@example.com"));
  ASSERT_TRUE(store().set_member("c1", ann.id, Role::owner).ok());
  ASSERT_TRUE(store().set_member("c1", bob.id, Role::viewer).ok());
  ASSERT_TRUE(store().set_member("c2", bob.id, Role::admin).ok());
  ASSERT_TRUE(store().set_member("c1", bob.id, Role::admin).ok());  // a new role, not a second row

  auto members = ok(store().members_of("c1"));
  ASSERT_EQ(members.size(), 2u);
  EXPECT_EQ(members[0].email, "ann@example.com");
  EXPECT_EQ(members[0].role, Role::owner);
  EXPECT_EQ(members[1].email, "bob@example.com");
  EXPECT_EQ(members[1].role, Role::admin);
  auto of_bob = ok(store().memberships_of(bob.id));
  ASSERT_EQ(of_bob.size(), 2u);
  EXPECT_EQ(of_bob[0].cluster_id, "c1");
  EXPECT_EQ(of_bob[1].cluster_id, "c2");

  EXPECT_EQ(store().set_member("nope", ann.id, Role::owner).error().status, 404);
  EXPECT_EQ(store().set_member("c1", "u_nobody", Role::owner).error().status, 404);
  EXPECT_TRUE(ok(store().remove_member("c2", bob.id)));
  EXPECT_FALSE(ok(store().remove_member("c2", bob.id)));

  const std::string cookie = ok(store().create_web_session(bob.id));
  EXPECT_TRUE(ok(store().remove_user(bob.id)));
  EXPECT_FALSE(ok(store().remove_user(bob.id)));
  EXPECT_EQ(ok(store().members_of("c1")).size(), 1u);
  EXPECT_FALSE(ok(store().session_user(cookie)));  // its sessions went with it
}

TEST_P(StoreTest, SessionsAreKeptAsHashesAndExpire) {
  auto ann = *ok(store().add_user("ann@example.com"));
  const std::string cookie = ok(store().create_web_session(ann.id));
  EXPECT_EQ(cluster::base64url_decode(cookie).size(), 32u);
  auto stored = raw("SELECT id_hash FROM web_sessions", "SELECT id_hash FROM web_sessions");
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0][0], cluster::sha256_hex(cookie));

  auto user = ok(store().session_user(cookie));
  ASSERT_TRUE(user);
  EXPECT_EQ(user->id, ann.id);
  EXPECT_FALSE(ok(store().session_user(cookie + "x")));
  EXPECT_FALSE(ok(store().session_user("")));

  // Used every 6 days, it lives 30 days; unused 7 days, it ends.
  for (int day = 6; day < 30; day += 6) {
    now_ = kStart + day * 86400;
    EXPECT_TRUE(ok(store().session_user(cookie))) << day;
  }
  now_ = kStart + kSessionLifetime;
  EXPECT_FALSE(ok(store().session_user(cookie)));

  const std::string idle = ok(store().create_web_session(ann.id));
  now_ += kSessionIdle - 1;
  EXPECT_TRUE(ok(store().session_user(idle)));
  now_ += kSessionIdle;
  EXPECT_FALSE(ok(store().session_user(idle)));

  const std::string ended = ok(store().create_web_session(ann.id));
  EXPECT_TRUE(ok(store().end_web_session(ended)));
  EXPECT_FALSE(ok(store().end_web_session(ended)));
  EXPECT_FALSE(ok(store().session_user(ended)));
}

TEST_P(StoreTest, ASignInLinkWorksOnceBeforeItExpires) {
  auto ann = *ok(store().add_user("ann@example.com"));
  const std::string link = ok(store().create_sign_in_link(ann.id, kStart + 900));
  EXPECT_TRUE(link.starts_with("qs_"));
  EXPECT_EQ(
      raw("SELECT count(*) FROM sign_in_links WHERE token_hash = ?1",
          "SELECT count(*) FROM sign_in_links WHERE token_hash = $1", {cluster::sha256_hex(link)})[0][0],
      "1");
  EXPECT_FALSE(ok(store().redeem_sign_in_link(link + "x")));
  EXPECT_EQ(ok(store().redeem_sign_in_link(link)), std::optional<std::string>(ann.id));
  EXPECT_FALSE(ok(store().redeem_sign_in_link(link)));  // spent

  const std::string late = ok(store().create_sign_in_link(ann.id, kStart + 900));
  now_ = kStart + 900;
  EXPECT_FALSE(ok(store().redeem_sign_in_link(late)));
}

TEST_P(StoreTest, InvitesAreSpentOnceAndCanBeRevoked) {
  add_cluster("c1");
  auto made =
      ok(store().create_invite("c1", Role::admin, "Bob@Example.com", "ann@example.com", kStart + 600));
  EXPECT_TRUE(made.token.starts_with("qi_"));
  EXPECT_EQ(made.invite.email, "bob@example.com");
  auto open = ok(store().open_invites("c1"));
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].id, made.invite.id);
  EXPECT_EQ(open[0].role, Role::admin);
  EXPECT_EQ(open[0].created_by, "ann@example.com");
  EXPECT_EQ(open[0].expires_at, kStart + 600);

  auto spent = ok(store().redeem_invite(made.token));
  ASSERT_TRUE(spent);
  EXPECT_EQ(spent->cluster_id, "c1");
  EXPECT_EQ(spent->role, Role::admin);
  EXPECT_EQ(spent->used_at, kStart);
  EXPECT_FALSE(ok(store().redeem_invite(made.token)));
  EXPECT_TRUE(ok(store().open_invites("c1")).empty());

  auto revoked = ok(store().create_invite("c1", Role::viewer, "", "cli", kStart + 600));
  EXPECT_FALSE(ok(store().revoke_invite("c2", revoked.invite.id)));  // another cluster's
  EXPECT_TRUE(ok(store().revoke_invite("c1", revoked.invite.id)));
  EXPECT_FALSE(ok(store().revoke_invite("c1", revoked.invite.id)));
  EXPECT_FALSE(ok(store().redeem_invite(revoked.token)));

  auto expired = ok(store().create_invite("c1", Role::viewer, "", "cli", kStart + 10));
  now_ = kStart + 10;
  EXPECT_TRUE(ok(store().open_invites("c1")).empty());
  EXPECT_FALSE(ok(store().redeem_invite(expired.token)));
  EXPECT_EQ(store().create_invite("nope", Role::viewer, "", "cli", kStart + 600).error().status, 404);
}

TEST_P(StoreTest, TheAuditLogIsReadNewestFirst) {
  add_cluster("c1");
  add_cluster("c2");
  for (int i = 0; i < 3; ++i) {
    now_ = kStart + i;
    auto added = ok(store().add_audit(
        {0, "c1", 0, "ann@example.com", "key.create", "k" + std::to_string(i), R"({"name":"ci"})"}));
    EXPECT_GT(added.id, 0);
    EXPECT_EQ(added.at, kStart + i);
  }
  ok(store().add_audit({0, "c2", 0, "cli", "member.add", "u1", "{}"}));
  auto log = ok(store().audit_of("c1", 2));
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].object, "k2");
  EXPECT_EQ(log[1].object, "k1");
  EXPECT_EQ(log[0].detail, R"({"name":"ci"})");
  EXPECT_EQ(log[0].actor, "ann@example.com");
  EXPECT_EQ(ok(store().audit_of("c2", 100)).size(), 1u);
  EXPECT_EQ(store().add_audit({0, "c1", 0, "cli", "x", "y", "[1]"}).error().status, 400);
}

}  // namespace
}  // namespace quorum::relay
