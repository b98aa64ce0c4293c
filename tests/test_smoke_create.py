from tests.helpers import VALID, submit


def test_a_valid_project_reaches_the_api_once_and_its_page_shows_it(live_client, fake_api):
    response = submit(live_client, **VALID)

    assert response.status_code == 303
    assert response.headers["Location"] == "/projects/1"
    [post] = fake_api.fake.posts()
    assert post.headers["api_token"] == "test-token-5f1e0c9a7b3d"
    assert post.body == {
        "project_name": "Lora adventures",
        "project_description": "Our mascot for the spring campaign",
        "ip_name": "Lora",
        "ip_description": "a female character with purple hair",
        "ip_medium": "illustration",
        "ip_type": "defined_character",
    }
    page = live_client.get("/projects/1").get_data(as_text=True)
    assert "Project created" in page
    assert "Lora adventures" in page
