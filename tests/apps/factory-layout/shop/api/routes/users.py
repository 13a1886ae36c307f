from fastapi import APIRouter

from shop.deps import DbSession

router = APIRouter(prefix="/users", tags=["users"])


@router.get("/{user_id}")
def get_user(user_id: int, db: DbSession) -> dict[str, int]:
    return {"id": user_id}


@router.post("")
def create_user() -> None:
    return None
