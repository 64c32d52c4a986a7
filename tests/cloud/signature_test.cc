// Every published vector of ALIBABA_API.md §2.3 (V1), §2.5 (V3) and §2.6
// (ROA), plus percent-encoding edge cases.

#include <string>

#include "cloud/crypto.h"
#include "cloud/percent_encoding.h"
#include "cloud/roa_signature.h"
#include "cloud/rpc_signature_v1.h"
#include "cloud/signature_v3.h"
#include "gtest/gtest.h"

namespace certferry::cloud {
namespace {

TEST(PercentEncode, SpaceStarAndTilde) {
  EXPECT_EQ(PercentEncode(" "), "%20");
  EXPECT_EQ(PercentEncode("*"), "%2A");
  EXPECT_EQ(PercentEncode("~"), "~");
  EXPECT_EQ(PercentEncode("a+b=c&d/e:f"), "a%2Bb%3Dc%26d%2Fe%3Af");
  EXPECT_EQ(PercentEncode("AZaz09-_."), "AZaz09-_.");
}

TEST(PercentEncode, Utf8BytesWithUppercaseHex) {
  EXPECT_EQ(PercentEncode("\xE4\xB8\xAD"), "%E4%B8%AD");  // 中
  EXPECT_EQ(PercentEncode("\xC3\xA9"), "%C3%A9");         // é
  EXPECT_EQ(PercentEncode(std::string("\0\xff", 2)), "%00%FF");
}

TEST(PercentEncode, PublishedUtilVectors) {
  EXPECT_EQ(PercentEncodePath("/path/ test"), "/path/%20test");
  EXPECT_EQ(PercentEncode("a/b/c/ test"), "a%2Fb%2Fc%2F%20test");
  EXPECT_EQ(LowerHex(Sha256("test")),
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
}

RpcParams V1AParams() {
  return {{"AccessKeyId", "testid"},
          {"Action", "DescribeRegions"},
          {"Format", "XML"},
          {"SignatureMethod", "HMAC-SHA1"},
          {"SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"},
          {"SignatureVersion", "1.0"},
          {"Timestamp", "2016-02-23T12:46:24Z"},
          {"Version", "2014-05-26"}};
}

TEST(RpcSignatureV1, DocExampleV1A) {
  const RpcParams params = V1AParams();
  EXPECT_EQ(CanonicalizedQueryV1(params),
            "AccessKeyId=testid&Action=DescribeRegions&Format=XML&"
            "SignatureMethod=HMAC-SHA1&SignatureNonce=3ee8c1b8-83d3-44af-a94f-"
            "4e0ad82fd6cf&SignatureVersion=1.0&Timestamp=2016-02-23T12%3A46%"
            "3A24Z&Version=2014-05-26");
  EXPECT_EQ(StringToSignV1("GET", params),
            "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%"
            "3DXML%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-"
            "83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0%26Timestamp%"
            "3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26");
  EXPECT_EQ(RpcSignatureV1("GET", params, "testsecret"),
            "OLeaidS1JvxuMvnyHOwuJ+uX5qY=");
  EXPECT_EQ(RpcSignatureV1("POST", params, "testsecret"),
            "MxbnVAM4w6sft9xjVpe/GCKueuk=");
}

TEST(RpcSignatureV1, SignatureParamIsNotSigned) {
  RpcParams params = V1AParams();
  params["Signature"] = "whatever";
  EXPECT_EQ(RpcSignatureV1("GET", params, "testsecret"),
            "OLeaidS1JvxuMvnyHOwuJ+uX5qY=");
}

TEST(RpcSignatureV1, MisspelledTimeStampKeyGivesTheOldDocValue) {
  RpcParams params = V1AParams();
  params.erase("Timestamp");
  params["TimeStamp"] = "2016-02-23T12:46:24Z";
  EXPECT_EQ(RpcSignatureV1("GET", params, "testsecret"),
            "CT9X0VtwR86fNWSnsc6v8YGOjuE=");
}

TEST(RpcSignatureV1, UtilVectorV1B) {
  const RpcParams params = {{"query", "test"}, {"body", "test"}};
  EXPECT_EQ(StringToSignV1("GET", params),
            "GET&%2F&body%3Dtest%26query%3Dtest");
  EXPECT_EQ(RpcSignatureV1("GET", params, "secret"),
            "XlUyV4sXjOuX5FnjUz9IF9tm5rU=");
}

TEST(RpcSignatureV1, EmptyMethodV1C) {
  const RpcParams params = {{"test", "ok"}};
  EXPECT_EQ(StringToSignV1("", params), "&%2F&test%3Dok");
  EXPECT_EQ(RpcSignatureV1("", params, "accessKeySecret"),
            "jHx/oHoHNrbVfhncHEvPdHXZwHU=");
}

TEST(RpcSignatureV1, EmptyValuesAndSpacesV1D) {
  RpcParams params = {{"AccessKeyId", "accessKeyId"},
                      {"Action", ""},
                      {"Format", "JSON"},
                      {"RegionId", "regionId"},
                      {"SignatureMethod", "HMAC-SHA1"},
                      {"SignatureNonce", "MOCK_UUID"},
                      {"SignatureType", ""},
                      {"SignatureVersion", "1.0"},
                      {"Timestamp", "mock date"},
                      {"Version", ""}};
  EXPECT_EQ(
      StringToSignV1("GET", params),
      "GET&%2F&AccessKeyId%3DaccessKeyId%26Action%3D%26Format%3DJSON%"
      "26RegionId%3DregionId%26SignatureMethod%3DHMAC-SHA1%"
      "26SignatureNonce%3DMOCK_UUID%26SignatureType%3D%"
      "26SignatureVersion%3D1.0%26Timestamp%3Dmock%2520date%26Version%3D");
  EXPECT_EQ(RpcSignatureV1("GET", params, "accessKeySecret"),
            "7loPmFjvDnzOVnQeQNj85S6nFGY=");
  params["SecurityToken"] = "accessKeyStsToken";
  EXPECT_EQ(RpcSignatureV1("GET", params, "accessKeySecret"),
            "5Nxdcler+ihqWqv0Hr2On4PsBf4=");
}

TEST(RpcSignatureV1, RawHmacV1E) {
  EXPECT_EQ(
      SignStringV1("GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%"
                   "26Format%3DXML%26RegionId%3Dregion1%26SignatureMethod%"
                   "3DHMAC-SHA1%26SignatureNonce%3DNwDAxvLU6tFE0DVb%"
                   "26SignatureVersion%3D1.0%26TimeStamp%3D2012-12-26T10%"
                   "253A33%253A56Z%26Version%3D2013-01-10",
                   "testsecret"),
      "axE3FUHgDyfm9/+Iep0HpZXrRwE=");
}

V3Request RunInstances(const std::string& date, const std::string& nonce) {
  V3Request request;
  request.method = "POST";
  request.path = "/";
  request.query = {
      {"ImageId", "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd"},
      {"RegionId", "cn-shanghai"}};
  request.hashed_payload = HashPayloadV3("");
  request.headers = {{"host", "ecs.cn-shanghai.aliyuncs.com"},
                     {"x-acs-action", "RunInstances"},
                     {"x-acs-version", "2014-05-26"},
                     {"x-acs-date", date},
                     {"x-acs-signature-nonce", nonce},
                     {"x-acs-content-sha256", request.hashed_payload},
                     {"accept", "application/json"}};  // unsigned
  return request;
}

TEST(SignatureV3, DocExampleV3A) {
  const V3Signature s = SignV3(
      RunInstances("2023-10-26T10:22:32Z", "3156853299f313e23d1673dc12e1703d"),
      "YourAccessKeyId", "YourAccessKeySecret");
  EXPECT_EQ(HashPayloadV3(""), kEmptyPayloadSha256);
  EXPECT_EQ(s.canonical_request,
            "POST\n/\n"
            "ImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd&"
            "RegionId=cn-shanghai\n"
            "host:ecs.cn-shanghai.aliyuncs.com\n"
            "x-acs-action:RunInstances\n"
            "x-acs-content-sha256:"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
            "x-acs-date:2023-10-26T10:22:32Z\n"
            "x-acs-signature-nonce:3156853299f313e23d1673dc12e1703d\n"
            "x-acs-version:2014-05-26\n"
            "\n"
            "host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-"
            "signature-nonce;x-acs-version\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(s.string_to_sign,
            "ACS3-HMAC-SHA256\n"
            "7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259");
  EXPECT_EQ(s.signature,
            "06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0");
  EXPECT_EQ(s.authorization,
            "ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=host;x-"
            "acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;"
            "x-acs-version,Signature="
            "06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0");
}

TEST(SignatureV3, DocExampleV3B) {
  const V3Signature s = SignV3(
      RunInstances("2023-10-26T09:01:01Z", "d410180a5abf7fe235dd9b74aca91fc0"),
      "YourAccessKeyId", "YourAccessKeySecret");
  EXPECT_EQ(s.string_to_sign,
            "ACS3-HMAC-SHA256\n"
            "29622f5feb1e9fcaaa2e276a72889c975f7b16f00e02be1ca34965b18cd85015");
  EXPECT_EQ(s.signature,
            "e521358f7776c97df52e6b2891a8bc73026794a071b50c3323388c4e0df64804");
}

// V3-C (Go util tests): empty method, empty query value kept as "empty=",
// duplicate header names merged sorted. The Python variant of this vector
// (bare "empty" without '=') contradicts the doc, which we follow (§2.4.3).
TEST(SignatureV3, UtilVectorV3C) {
  V3Request request;
  request.method = "";
  request.path = "/";
  request.query = {{"test", "ok"}, {"empty", ""}};
  request.headers = {{"x-acs-test", "http"}, {"x-acs-TEST", "https"}};
  request.hashed_payload =
      "55e12e91650d2fec56ec74e1d3e4ddbfce2ef3a65890c2a19ecf88a307e76a23";
  const V3Signature s = SignV3(request, "acesskey", "secret");
  EXPECT_EQ(s.signed_headers, "x-acs-test");
  EXPECT_NE(
      s.canonical_request.find("\nempty=&test=ok\nx-acs-test:http,https\n"),
      std::string::npos)
      << s.canonical_request;
  EXPECT_EQ(s.authorization,
            "ACS3-HMAC-SHA256 Credential=acesskey,SignedHeaders=x-acs-test,"
            "Signature="
            "4ab59fffe3c5738ff8a2729f90cc04fe18b02a4b15b2102cbaf92f9ff3df2ea3");
}

TEST(SignatureV3, CanonicalQueryEncodesReservedCharacters) {
  V3Request request;
  request.method = "GET";
  request.query = {{"test", " ~/*-+"}};
  const V3Signature s = SignV3(request, "id", "secret");
  EXPECT_EQ(s.canonical_request.substr(0, s.canonical_request.find('\n', 6)),
            "GET\n/\ntest=%20~%2F%2A-%2B");
}

TEST(RoaSignature, EmptyRequestROAA) {
  RoaRequest request;
  request.method = "GET";
  EXPECT_EQ(StringToSignRoa(request), "GET\n\n\n\n\n");
  EXPECT_EQ(SignStringRoa("GET\n\n\n\n\n", "secret"),
            "XGXDWA78AEvx/wmfxKoVCq/afWw=");
}

TEST(RoaSignature, ResourceWithQueryROAB) {
  RoaRequest post;
  post.method = "POST";
  post.query = {{"test", "tests"}};
  EXPECT_EQ(StringToSignRoa(post), "POST\n\n\n\n\n?test=tests");

  RoaRequest get;
  get.method = "GET";
  get.path = "Pathname";
  get.query = {{"ccp", "ok"}, {"test", "tests"}, {"test1", ""}};
  get.headers = {{"accept", "application/json"},
                 {"content-md5", "md5"},
                 {"content-type", "application/json"},
                 {"date", "date"},
                 {"x-acs-meta", "user"}};
  EXPECT_EQ(StringToSignRoa(get),
            "GET\napplication/json\nmd5\napplication/json\ndate\nx-acs-meta:"
            "user\nPathname?ccp=ok&test=tests&test1");
}

RoaRequest OldGoRoa(const std::string& accept, const std::string& body,
                    const std::string& content_type) {
  RoaRequest request;
  request.method = "GET";
  request.path = "/users/:user";
  request.headers = {{"Accept", accept},
                     {"Content-MD5", ContentMd5(body)},
                     {"Content-Type", content_type},
                     {"Date", "mock date"},
                     {"x-acs-signature-method", "HMAC-SHA1"},
                     {"x-acs-signature-version", "1.0"},
                     {"x-acs-version", ""}};
  return request;
}

TEST(RoaSignature, OldGoComposerROAC) {
  const RoaRequest request =
      OldGoRoa("application/json", "", "application/octet-stream");
  EXPECT_EQ(StringToSignRoa(request),
            "GET\napplication/json\n1B2M2Y8AsgTpgAmY7PhCfg==\napplication/"
            "octet-stream\nmock date\nx-acs-signature-method:HMAC-SHA1\nx-acs-"
            "signature-version:1.0\nx-acs-version:\n/users/:user");
  EXPECT_EQ(AuthorizationRoa(request, "accessKeyId", "accessKeySecret"),
            "acs accessKeyId:degLHXLEN6rMojj+bOlK74U9iic=");
}

TEST(RoaSignature, OldGoComposerWithBodyROAD) {
  const RoaRequest request = OldGoRoa("application/xml", "key=value",
                                      "application/x-www-form-urlencoded");
  EXPECT_EQ(ContentMd5("key=value"), "7xdqbEJPlU+kLUzeA5SYlw==");
  EXPECT_EQ(AuthorizationRoa(request, "accessKeyId", "accessKeySecret"),
            "acs accessKeyId:U9uA3ftRZKixHPB08Z7Z4GOlpTY=");
}

}  // namespace
}  // namespace certferry::cloud
