#include "node/settings_file.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace quorum::node {
namespace {

EngineSpec page_engine(const std::string& name, const std::string& url) {
  auto spec = engine_from_page(name, url, "");
  EXPECT_TRUE(spec.ok()) << name;
  return spec.ok() ? spec.value() : EngineSpec{};
}

std::string temp_dir() {
  auto dir = std::filesystem::temp_directory_path() /
             ("quorum-settings-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

TEST(SettingsFile, AbsentIsEmptyAndWhatIsSavedComesBack) {
  const std::string dir = temp_dir();
  auto none = load_settings(dir);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->engines.empty());
  NodeSettings s;
  s.models_dir = "/srv/models";
  s.engines.push_back(page_engine("box", "http://10.0.0.2:8080"));
  s.engines.push_back(page_engine("laptop", "http://10.0.0.3:11434"));
  ASSERT_TRUE(save_settings(dir, s).ok());
  auto back = load_settings(dir);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->models_dir, "/srv/models");
  ASSERT_EQ(back->engines.size(), 2u);
  EXPECT_EQ(back->engines[0].type, "openai");
  EXPECT_EQ(back->engines[1].type, "ollama");
  EXPECT_EQ(std::filesystem::status(std::filesystem::path(dir) / "settings.json").permissions() &
                std::filesystem::perms::others_read,
            std::filesystem::perms::none);
}

TEST(SettingsFile, AMalformedFileIsAnErrorNamingIt) {
  const std::string dir = temp_dir();
  std::ofstream(std::filesystem::path(dir) / "settings.json") << "{not json";
  auto s = load_settings(dir);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("settings.json"), std::string::npos);
}

TEST(SettingsFile, FlagsWinOverSettings) {
  NodeSettings s;
  s.models_dir = "/from/page";
  s.engines.push_back(page_engine("box", "http://10.0.0.2:8080"));
  s.engines.push_back(page_engine("other", "http://10.0.0.4:8080"));
  NodeConfig config;
  config.embedded.models_dir = "/from/flag";
  config.engines.push_back(EngineSpec{"box", "openai", "http://127.0.0.1:9"});
  apply_settings(s, config);
  EXPECT_EQ(config.embedded.models_dir, "/from/flag");
  ASSERT_EQ(config.engines.size(), 2u);
  EXPECT_EQ(config.engines[0].url, "http://127.0.0.1:9");
  EXPECT_EQ(config.engines[1].name, "other");
  NodeConfig bare;
  apply_settings(s, bare);
  EXPECT_EQ(bare.embedded.models_dir, "/from/page");
}

TEST(SettingsFile, EnginesFromThePageAreChecked) {
  EXPECT_FALSE(engine_from_page("", "http://x:1", "").ok());
  EXPECT_FALSE(engine_from_page("a b", "http://x:1", "").ok());
  EXPECT_FALSE(engine_from_page("a", "ftp://x", "").ok());
  EXPECT_FALSE(engine_from_page("a", "http://x:1", "vllm").ok());
  auto typed = engine_from_page("lm", "http://127.0.0.1:1234", "openai");
  ASSERT_TRUE(typed.ok());
  EXPECT_EQ(typed->url, "http://127.0.0.1:1234");
  EXPECT_EQ(typed->type, "openai");
}

}  // namespace
}  // namespace quorum::node
