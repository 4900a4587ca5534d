<!DOCTYPE html>
<html lang="ko-KR">
<head>
<meta charset="UTF-8">
<title>로그인 &lsaquo; 한빛일보 &#8212; WordPress</title>
<meta name="robots" content="noindex, nofollow">
<link rel="stylesheet" href="/wp-admin/css/login.min.css?ver=6.5.5" media="all">
</head>
<body class="login no-js login-action-login wp-core-ui">
<div id="login">
<h1><a href="/">한빛일보</a></h1>
<form name="loginform" id="loginform" action="/wp-login.php" method="post">
<p><label for="user_login">사용자명 또는 이메일 주소</label><input type="text" name="log" id="user_login" class="input" size="20"></p>
<p><label for="user_pass">비밀번호</label><input type="password" name="pwd" id="user_pass" class="input" size="20"></p>
<p class="submit"><input type="submit" name="wp-submit" id="wp-submit" class="button button-primary" value="로그인"></p>
</form>
<p id="backtoblog"><a href="/">&larr; 한빛일보(으)로 이동</a></p>
</div>
</body>
</html>
