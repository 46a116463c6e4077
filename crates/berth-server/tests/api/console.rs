//! The admin console is served from the binary itself: no sign-in needed for the static pages,
//! everything they load comes from this server, and the data calls still need the admin token.

use reqwest::Method;

use crate::helpers::TestServer;

#[tokio::test]
async fn console_pages_are_served_from_the_binary_with_only_local_assets() {
    let server = TestServer::start().await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");

    let redirect = client
        .get(server.url("/console"))
        .send()
        .await
        .expect("request");
    assert_eq!(redirect.status(), 308);
    assert_eq!(redirect.headers()["location"], "/console/");

    for (path, content_type, marker) in [
        (
            "/console/",
            "text/html; charset=utf-8",
            "<title>Berth console</title>",
        ),
        (
            "/console/app.js",
            "text/javascript; charset=utf-8",
            "/mobile/tools/1.0",
        ),
        (
            "/console/style.css",
            "text/css; charset=utf-8",
            "font-family",
        ),
    ] {
        let response = client.get(server.url(path)).send().await.expect("request");
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(response.headers()["content-type"], content_type, "{path}");
        assert!(
            response.headers()["content-security-policy"]
                .to_str()
                .expect("ascii header")
                .contains("default-src 'self'"),
            "{path}"
        );
        let body = response.text().await.expect("body");
        assert!(body.contains(marker), "{path}");
        assert!(
            !body.contains("http://") && !body.contains("https://"),
            "{path} loads nothing from elsewhere"
        );
    }

    let missing = client
        .get(server.url("/console/nope.js"))
        .send()
        .await
        .expect("request");
    assert_eq!(missing.status(), 404);

    // The pages are public; the data they show is not.
    let anonymous = server
        .anonymous(Method::GET, "/mobile/tools/1.0/mobilebackends")
        .send()
        .await
        .expect("request");
    assert_eq!(anonymous.status(), 401);
}
