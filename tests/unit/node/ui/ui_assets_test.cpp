#include "node/ui/ui_assets.h"

#include <gtest/gtest.h>

namespace quorum::node::ui {
namespace {

const std::vector<EmbeddedAsset>& sample() {
  static const std::vector<EmbeddedAsset> assets{
      {"/index.html", "aaaa", "<meta name=\"quorum-ui-token\" content=\"__QUORUM_UI_TOKEN__\"><p>hi</p>"},
      {"/assets/index-3f2a.js", "bbbb", "console.log(1)"},
      {"/favicon.svg", "cccc", "<svg/>"},
  };
  return assets;
}

TEST(UiAssets, IndexCarriesTheTokenAtEveryRootPath) {
  for (const char* path : {"/", "/index.html"}) {
    UiFile f = ui_file(sample(), path, "0123456789abcdef0123456789abcdef");
    EXPECT_EQ(f.status, 200);
    EXPECT_EQ(f.content_type, "text/html; charset=utf-8");
    EXPECT_NE(f.body.find("content=\"0123456789abcdef0123456789abcdef\""), std::string::npos);
    EXPECT_EQ(f.body.find(kTokenPlaceholder), std::string::npos);
    EXPECT_TRUE(f.etag.empty()) << "the page carries the token: never cached";
  }
}

TEST(UiAssets, HashedAssetsAreImmutableWithAnEtag) {
  UiFile f = ui_file(sample(), "/assets/index-3f2a.js", "t");
  EXPECT_EQ(f.status, 200);
  EXPECT_EQ(f.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(f.body, "console.log(1)");
  EXPECT_EQ(f.etag, "\"bbbb\"");
  EXPECT_TRUE(f.immutable);
  UiFile icon = ui_file(sample(), "/favicon.svg", "t");
  EXPECT_EQ(icon.content_type, "image/svg+xml");
  EXPECT_FALSE(icon.immutable);
}

TEST(UiAssets, UnknownFilesAreNotFound) {
  EXPECT_EQ(ui_file(sample(), "/assets/missing.js", "t").status, 404);
  EXPECT_EQ(ui_file(sample(), "/assets/../index.html", "t").status, 404);
}

TEST(UiAssets, WithoutTheUiTheRootSaysItWasLeftOut) {
  UiFile f = ui_file({}, "/", "t");
  EXPECT_EQ(f.status, 200);
  EXPECT_NE(f.body.find("left out"), std::string::npos);
  EXPECT_EQ(ui_file({}, "/assets/x.js", "t").status, 404);
}

TEST(UiAssets, UiPathsAreTheRootTheIndexAndAssets) {
  EXPECT_TRUE(is_ui_file_path("/"));
  EXPECT_TRUE(is_ui_file_path("/index.html"));
  EXPECT_TRUE(is_ui_file_path("/assets/a.css"));
  EXPECT_FALSE(is_ui_file_path("/v1/models"));
  EXPECT_FALSE(is_ui_file_path("/health"));
  EXPECT_FALSE(is_ui_file_path("/assetsx"));
}

}  // namespace
}  // namespace quorum::node::ui
