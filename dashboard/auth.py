"""Optional sign-in through Streamlit's OpenID Connect support (`st.login`).

Sign-in is required exactly when `.streamlit/secrets.toml` has an `[auth]` section (see the
README); without one the dashboard is open to whoever can reach it, as on a laptop.
"""

from __future__ import annotations

import streamlit as st
from streamlit.errors import StreamlitSecretNotFoundError


def sign_in_configured() -> bool:
    """True when the secrets configure an OIDC provider (an `[auth]` section)."""
    try:
        return "auth" in st.secrets
    except (StreamlitSecretNotFoundError, FileNotFoundError):
        return False


def signed_in() -> bool:
    """True when the viewer may see the data: sign-in is not configured, or they are signed
    in. Otherwise shows the sign-in screen and returns False."""
    if not sign_in_configured():
        return True
    if st.user.get("is_logged_in", False):
        st.sidebar.caption(f"Signed in as {st.user.get('email') or st.user.get('name') or 'you'}")
        st.sidebar.button("Sign out", on_click=st.logout)
        return True
    st.title("moodcast")
    st.write("Sign in to see the population-level signals.")
    st.button("Sign in", on_click=st.login, type="primary")
    return False
