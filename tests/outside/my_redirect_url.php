<?php
// The site's own PHP sample ("Jeton d'accès" and "APIs" in its documentation), as an app's
// redirect URL: it trades the auth key with a GET, as the sample does, then asks who logged
// in. Only the site's address and the app's credentials come from the environment.
$site = getenv("PIPI_SITE"); // https://pipichat.com in the sample
$app_id = getenv("PIPI_SAMPLE_APP_ID"); // your app id
$app_secret = getenv("PIPI_SAMPLE_APP_SECRET"); // your app secret
$auth_key = $_GET['auth_key']; // the returned auth key from previous step

$get = file_get_contents("$site/api/authorize?app_id=$app_id&app_secret=$app_secret&auth_key=$auth_key");

$json = json_decode($get, true);
if(!empty($json['access_token'])) {
    $access_token = $json['access_token']; // your access token
    $get = file_get_contents("$site/api/get_user_info?access_token=$access_token");
}
echo $get;
