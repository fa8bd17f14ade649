package server

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"hindsight/server/openapi"
)

func (s *Server) openAPI(c *gin.Context) {
	c.Data(http.StatusOK, "application/json", openapi.JSON)
}
